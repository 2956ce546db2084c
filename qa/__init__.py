"""newsqa core library: grounded answers and briefings over a news article store.

The public façade is :class:`qa.service.NewsQA`; everything else is an implementation module.
"""

__version__ = "0.1.0"
