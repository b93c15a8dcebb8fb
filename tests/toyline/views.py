from django.shortcuts import render

from tercero.delivery.work import selectors
from tercero.platform.pages import page


@page("errands:read", staff=True)
def errands(request, caller):
    items = selectors.items(client_ids=caller.client_ids, work_type="toyline.errand")[:50]
    return render(request, "toyline/errands.html", {"items": items})


@page("errands:read", staff=True)
def errand(request, caller, item_id: int):
    item = selectors.access_item(client_ids=caller.client_ids, item_id=item_id)
    return render(request, "toyline/errands.html", {"items": [item]})
