"""Ray Serve app: FastAPI ingress, multiplexed and batched generator, FID deployment.
``from serve.app import build_app``; the settings are ``serve.settings.ServeArgs``."""
