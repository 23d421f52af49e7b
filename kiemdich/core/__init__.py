"""What every app may import and that imports no app (DESIGN.md §2): the API core.

- `errors`: `DomainError(status, code, message)`, the one base of refusals, `ApiError`,
  `invalid_form` and the error body `{"detail": ..., "code": ...}`;
- `auth`: bearer tokens and the browser session (`auth_required`, `optional_caller`);
- `pagination`: `Page` and `AuditedPage`;
- `files`: `file_response`.

Nothing here imports a `kiemdich` module (tests/architecture/test_imports.py checks it): apps
import the core, never the other way round. `kiemdich/api.py` composes the routers and turns
every `DomainError` into its answer with one handler.
"""
