"""The article pipeline and what drives it.

`read` fetches and parses a source, per kind; `articles.Pipeline` takes what was read to
composed articles (keys, build, story match, full text, categorize, compose) for every caller:
the poller, `nashra preview` and the admins' /addsource preview. `poller` stores what the
pipeline gives and queues its deliveries; `schedule` decides when each source is polled.
"""
