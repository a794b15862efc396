"""The local web app: `create_app(settings)`; routes per resource under routes/."""
