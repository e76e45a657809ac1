"""The HTTP edge: what every request and answer goes through before and after the routes
(access log, JSON body checks, security headers, empty query values)."""
