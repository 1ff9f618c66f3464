"""The HTTP service's composition root: the app factory mounting the API and the studio,
and the server that runs it (``reelvault serve``)."""
