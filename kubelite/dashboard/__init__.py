"""The web dashboard (``kubelite dashboard``): an aiohttp backend that holds the kubeconfig's credentials
and offers the browser a narrow, token-protected set of calls, all answered through the API server with
the library's client; and a static single-page UI (plain JS/CSS, xterm.js for the exec terminal)."""
