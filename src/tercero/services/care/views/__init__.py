"""Care desk pages: the ticket conversation, chat, web form and reports."""
