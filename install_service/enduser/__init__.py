"""The end-user API: calls from the ISV's frontend with ``x-alloy-user-token`` (spec,
"End-user API"): who is calling (``dependencies``), CORS for the ISV's origins (``cors``)
and the preflights it answers through a route handler (``controllers``)."""
