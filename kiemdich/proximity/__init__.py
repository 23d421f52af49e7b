"""Close-contact detection as Bluezone meant it, on the Google/Apple Exposure Notification
design: the protocol a phone runs (`protocol.py`, no Django), the verification of a confirmed
case's upload, the key server and its export files, the phone-side matching, and a simulator."""
