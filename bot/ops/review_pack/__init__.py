"""`safety-bot review-pack OUT_DIR`: every screen as the person sees it, for the staff who sign
off the advice, as a static site (no server, no script, no external asset).

- `screens`: each flow step through the engine and the Telegram renderer, with where buttons lead;
- `ledger`: each text and number with its source, review status and hash (manifest.json);
- `site`: the pages, from the Jinja2 templates in `templates/`;
- `command`: the subcommand (kept light: the CLI imports it at start-up, Jinja2 only on use).
"""
