"""The officials' home: counts for the user's own scope, each linking to its list."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse

from ylyx.institutions.models import Institution, Kind
from ylyx.people.models import ElderlyPerson, Infant
from ylyx.workforce.models import Practitioner


@login_required
def home(request):
    user = request.user
    cards = []
    inst = Institution.objects.for_user(user, "view")
    if inst.query.is_empty() is False:
        url = reverse("institutions:list")
        for kind in Kind:
            cards.append({"label": kind.label, "value": inst.filter(kind=kind).count(), "url": f"{url}?kind={kind.value}"})
    for model, name, label in ((ElderlyPerson, "people:elderly_list", "老年人"),
                               (Infant, "people:infant_list", "婴幼儿"),
                               (Practitioner, "workforce:list", "从业人员")):
        qs = model.objects.for_user(user, "view")
        if not qs.query.is_empty():
            cards.append({"label": label, "value": qs.count(), "url": reverse(name)})
    return render(request, "workspace/home.html", {"cards": cards, "title": "首页"})

