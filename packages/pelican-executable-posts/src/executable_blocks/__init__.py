"""The engine of executable posts, free of Pelican: find the code blocks of
a Markdown post and their claims, run them in sandboxed sessions forked from
a warm zygote, keep the results in a signed cache, judge every claim and
render what the blocks produced.

``pelican.plugins.executable_posts`` adapts it to Pelican. Nothing here is
imported at package import time: the zygote imports single modules, and
every worker it forks carries what it imported.
"""
