"""Portal pages: every module here with a ``router`` is served (see ``portal.install``)."""
