"""The chat terminal UI (Textual); start it with `assistant.tui.app.make_app(settings).run()`."""
