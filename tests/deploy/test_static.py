"""The production static storage accepts every static file (vendored ones included).

With DEBUG off the site serves hashed names from the manifest that `collectstatic` writes. The
manifest storage rewrites the references inside CSS and JavaScript (`url(...)`, `@import`,
`sourceMappingURL`) and refuses to write the manifest when one names a missing file; without a
manifest every page is a 500. Chart.js was vendored without the `.map` its last line names.
"""

from django.core.management import call_command


def test_collectstatic_with_the_manifest_storage(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)

    manifest = settings.STATIC_ROOT / "staticfiles.json"
    assert manifest.is_file()
    hashed = list((settings.STATIC_ROOT / "vendor/chart.js").glob("chart.umd.min.*.js"))
    assert len(hashed) == 1
    # The hashed copy points at the hashed map, which exists.
    last_line = hashed[0].read_text().rstrip().rsplit("\n", 1)[-1]
    map_name = last_line.removeprefix("//# sourceMappingURL=")
    assert map_name != "chart.umd.min.js.map"
    assert (hashed[0].parent / map_name).is_file()
