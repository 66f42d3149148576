"""Generating the sample council: :func:`generate` and the run behind it."""

from __future__ import annotations

import hashlib
import random
from datetime import date, datetime, timedelta

from ris_connector.sample import names as nm
from ris_connector.sample.dataset import (
    BERLIN,
    DEFAULT_NOW,
    EMBEDDED,
    LIST_KEYS,
    LISTS_BY_VERSION,
    SCALE_ONE,
    SEGMENTS,
    VERSIONS,
    Dataset,
    JsonObj,
    iso,
    short_type,
)
from ris_connector.sample.documents import sample_document

AGENDA_ITEMS_PER_MEETING = 10
CENTER = (11.07, 49.45)  # lon, lat of Musterstadt


class Generator:
    """One generation run; all randomness comes from ``self.rng``."""

    def __init__(self, ds: Dataset, scale: float, seed: int, tombstones: bool) -> None:
        self.ds = ds
        self.scale = scale
        self.rng = random.Random(f"ris-sample:{seed}")
        self.tombstones = tombstones
        self.now_ts = float(int(ds.now.timestamp()))
        self.body_path = ""
        self.files_left = self.count("File")
        self.terms: list[tuple[date, date, str]] = []
        self.org_members: dict[str, list[str]] = {}
        self.factions: list[str] = []
        self.rooms: list[str] = []

    # -- helpers ---------------------------------------------------------------------------------
    def count(self, type_name: str) -> int:
        return max(1, round(SCALE_ONE[type_name] * self.scale))

    def span(self, created: float, modified: float) -> tuple[float, float]:
        """Clamp to ``created < modified < now``."""
        hi = self.now_ts - 60
        created = float(int(min(created, hi - 3600)))
        return created, float(int(min(max(modified, created + 60), hi)))

    def store(self, obj: JsonObj, created: float, modified: float, *, listed: bool = True) -> str:
        path = self.ds.path_of(obj["id"])
        obj["created"] = iso(created)
        obj["modified"] = iso(modified)
        self.ds.objects[path] = obj
        self.ds.times[path] = (created, modified)
        if listed:
            lst = self.ds.lists[self.body_path].get(LIST_KEYS[short_type(obj["type"])])
            if lst is not None:
                lst.append(path)
        return path

    def embed(self, child_id: str, parent_id: str) -> None:
        self.ds.parents.setdefault(self.ds.path_of(child_id), []).append(self.ds.path_of(parent_id))

    def raise_modified(self, path: str, ts: float) -> None:
        created, modified = self.ds.times[path]
        if ts > modified:
            self.ds.times[path] = (created, ts)
            self.ds.objects[path]["modified"] = iso(ts)

    def new(self, type_name: str) -> JsonObj:
        return {"id": self.ds.new_id(type_name), "type": self.ds.schema + type_name}

    def location(
        self,
        description: str,
        created: float,
        *,
        street: str | None = None,
        room: str | None = None,
        jitter: float = 0.04,
    ) -> str:
        rng = self.rng
        loc = self.new("Location")
        loc["description"] = description
        lon = round(CENTER[0] + rng.uniform(-jitter, jitter), 5)
        lat = round(CENTER[1] + rng.uniform(-jitter, jitter), 5)
        loc["geojson"] = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"name": room or street or description},
        }
        if street:
            loc["streetAddress"] = street
        if room:
            loc["room"] = room
        loc["postalCode"] = "99999"
        loc["locality"] = "Musterstadt"
        self.store(loc, *self.span(created, created + rng.uniform(0, 86400 * 30)))
        return str(loc["id"])

    def file(
        self, parent_attr: str, parent_id: str, name: str, day: date, created: float, modified: float
    ) -> str | None:
        """Create a File embedded in ``parent_id`` (budgeted: returns None when the budget is spent)."""
        if self.files_left <= 0:
            return None
        self.files_left -= 1
        rng = self.rng
        f = self.new("File")
        num = f["id"].rsplit("/", 1)[1]
        docx = rng.random() < 0.04
        ext = "docx" if docx else "pdf"
        f["name"] = name
        f["fileName"] = f"{_slug(name)}.{ext}"
        f["mimeType"] = (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document" if docx else "application/pdf"
        )
        f["date"] = day.isoformat()
        f["size"] = rng.randint(18_000, 2_500_000)
        body = sample_document(num, name, f["mimeType"])
        f["sha1Checksum"] = hashlib.sha1(body, usedforsecurity=False).hexdigest()
        f["accessUrl"] = f"{self.ds.base_url}/files/{num}.{ext}"
        f["downloadUrl"] = f"{self.ds.base_url}/files/download/{num}.{ext}"
        f[parent_attr] = [parent_id]
        f["license"] = "https://www.govdata.de/dl-de/by-2-0"
        c = rng.uniform(created, max(created, modified - 60))
        self.store(f, *self.span(c, rng.uniform(c, modified)))
        return str(f["id"])

    # -- generation --------------------------------------------------------------------------------
    def run(self) -> None:
        self.system_and_body()
        self.organizations()
        self.persons()
        self.memberships()
        meetings = self.meetings()
        papers = self.papers(meetings)
        self.extra_files(meetings, papers)
        self.specials()

    def system_and_body(self) -> None:
        ds, rng = self.ds, self.rng
        base = self.now_ts - 86400 * 365 * 7
        ds.system = {
            "id": ds.system_url,
            "type": ds.schema + "System",
            "oparlVersion": ds.schema,
            "body": f"{ds.base_url}/bodies",
            "name": "OParl-Schnittstelle der Stadt Musterstadt",
            "contactEmail": "ris@musterstadt.de",
            "contactName": "Ratsinformationssystem Musterstadt",
            "website": "https://www.musterstadt.de/",
            "license": "https://www.govdata.de/dl-de/by-2-0",
            "created": iso(base),
            "modified": iso(base + 86400 * 100),
        }
        body = self.new("Body")
        self.body_path = ds.path_of(body["id"])
        ds.bodies.append(body["id"])
        ds.lists[self.body_path] = {k: [] for k in LISTS_BY_VERSION[ds.version]}
        for key in LISTS_BY_VERSION[ds.version]:
            seg = SEGMENTS[next(t for t, k in LIST_KEYS.items() if k == key)]
            ds.list_paths[f"{self.body_path}/{seg}"] = (self.body_path, key)
            body[key] = f"{body['id']}/{seg}"
        body.update(
            {
                "system": ds.system_url,
                "shortName": "Musterstadt",
                "name": "Stadt Musterstadt",
                "website": "https://www.musterstadt.de/",
                "license": "https://www.govdata.de/dl-de/by-2-0",
                "licenseValidSince": iso(base),
                "oparlSince": iso(base),
                "ags": "09999000",
                "rgs": "099990000000",
                "equivalent": ["https://www.wikidata.org/wiki/Q0000000"],
                "contactEmail": "ris@musterstadt.de",
                "contactName": "Sitzungsdienst der Stadt Musterstadt",
                "classification": "Kreisfreie Stadt",
            }
        )
        year = 2002
        terms: list[str] = []
        while date(year, 5, 1) <= (ds.now + timedelta(days=200)).date():
            start, end = date(year, 5, 1), date(year + 6, 4, 30)
            if end.year >= ds.now.year - 8:
                term = self.new("LegislativeTerm")
                name = f"Wahlperiode {year}-{year + 6}"
                term.update(
                    {"body": body["id"], "name": name, "startDate": start.isoformat(), "endDate": end.isoformat()}
                )
                created = min(_ts(start) - 86400 * 30, base)
                self.store(term, *self.span(created, created + 86400))
                terms.append(term["id"])
                self.terms.append((start, end, name))
            year += 6
        body["legislativeTerm"] = terms
        body["location"] = self.location(
            "Rathaus Musterstadt, Rathausplatz 1, 99999 Musterstadt", base, street="Rathausplatz 1", jitter=0.0
        )
        for child in [*terms, body["location"]]:
            self.embed(child, body["id"])
        for room, street in nm.ROOMS:
            room = room.format(d=rng.choice(nm.DISTRICTS))
            self.rooms.append(self.location(f"{room}, {street}, 99999 Musterstadt", base, street=street, room=room))
        self.store(body, base, base + 86400 * 200, listed=False)

    def organizations(self) -> None:
        rng = self.rng
        pool = list(nm.ORGANIZATIONS)
        pool += [
            (f"Ortschaftsrat {d}", f"OR {d}", f"Ortschaftsrates {d}", "Gremium", "Ortschaftsrat", True)
            for d in nm.DISTRICTS
        ]
        i = 1
        while len(pool) < self.count("Organization"):
            pool.append((f"Projektbeirat {i}", f"PB{i}", f"Projektbeirates {i}", "Gremium", "Beirat", True))
            i += 1
        base = _ts(self.terms[0][0])
        for name, short, _gen, otype, klass, _meets in pool[: self.count("Organization")]:
            org = self.new("Organization")
            org.update(
                {
                    "body": self.ds.bodies[0],
                    "name": name,
                    "shortName": short,
                    "organizationType": otype,
                    "classification": klass,
                    "startDate": self.terms[0][0].isoformat(),
                    "post": ["Vorsitzende(r)", "Stellv. Vorsitzende(r)", "Mitglied"],
                    "membership": [],
                }
            )
            if otype == "Fraktion":
                org["website"] = f"https://www.musterstadt.de/fraktionen/{_slug(short)}"
                self.factions.append(org["id"])
            else:
                org["location"] = self.rooms[0] if klass == "Hauptorgan" else rng.choice(self.rooms)
                self.embed(org["location"], org["id"])
            self.org_members[org["id"]] = []
            created = base + rng.uniform(0, 86400 * 60)
            self.store(org, *self.span(created, self.now_ts - rng.uniform(1, 600) * 86400))

    def persons(self) -> None:
        rng, ds = self.rng, self.ds
        term_start = _ts(self.terms[-2][0] if len(self.terms) > 1 else self.terms[0][0])
        for i in range(self.count("Person")):
            female = rng.random() < 0.42
            given = rng.choice(nm.GIVEN_FEMALE if female else nm.GIVEN_MALE)
            family = rng.choice(nm.FAMILY)
            p = self.new("Person")
            title = ["Dr."] if rng.random() < 0.12 else []
            p.update(
                {
                    "body": ds.bodies[0],
                    "name": " ".join([*title, given, family]),
                    "familyName": family,
                    "givenName": given,
                    "formOfAddress": "Frau" if female else "Herr",
                    "gender": "female" if female else "male",
                }
            )
            if title:
                p["title"] = title
            p["email"] = [f"{_slug(given)}.{_slug(family)}{i}@musterstadt.de"]
            if rng.random() < 0.5:
                p["phone"] = [f"+49999{rng.randint(100000, 999999)}"]
            p["status"] = ["Stadträtin" if female else "Stadtrat"]
            created = term_start + rng.uniform(-86400 * 60, 86400 * 400)
            if rng.random() < 0.3:
                street = f"{rng.choice(nm.STREETS)} {rng.randint(1, 80)}"
                p["location"] = self.location(f"{street}, 99999 Musterstadt", created, street=street)
            p["membership"] = []
            self.store(p, *self.span(created, created + rng.uniform(0, 86400 * 900)))

    def memberships(self) -> None:
        rng, ds = self.rng, self.ds
        persons = [ds.id_of(p) for p in ds.objects if p.startswith(f"{ds.prefix}/persons/")]
        orgs = list(self.org_members)
        committees = [o for o in orgs if o not in self.factions] or orgs
        terms = [t for t in self.terms if t[0] <= ds.now.date()][::-1]  # current term first
        faction_of: dict[str, str] = {}
        used: dict[tuple[str, str], int] = {}
        offset = rng.randrange(len(committees))
        for i in range(self.count("Membership")):
            person = persons[i % len(persons)]
            if i < len(persons) and self.factions:
                org = self.factions[i % len(self.factions)]
                faction_of[person] = org
            else:
                org = committees[(i + offset + i // len(persons)) % len(committees)]
            m = self.new("Membership")
            role = rng.choice(nm.ROLES)
            used[(person, org)] = again = used.get((person, org), -1) + 1
            old = again > 0 or rng.random() < 0.2
            term = terms[min(max(again, int(old)), len(terms) - 1)]
            start, end = (term[0], term[1]) if old else (term[0], None)
            if end is None and rng.random() < 0.08:
                end = start + timedelta(days=rng.randint(200, 1500))
                end = min(end, ds.now.date() - timedelta(days=1))
            m.update(
                {
                    "person": person,
                    "organization": org,
                    "role": role,
                    "votingRight": not role.startswith("Sachkundige"),
                    "startDate": start.isoformat(),
                }
            )
            if end is not None:
                m["endDate"] = end.isoformat()
            if org not in self.factions and person in faction_of:
                m["onBehalfOf"] = faction_of[person]
            created = _ts(start) + rng.uniform(0, 86400 * 20)
            path = self.store(m, *self.span(created, created + rng.uniform(0, 86400 * 800)))
            ds.get(person)["membership"].append(m["id"])
            ds.get(org)["membership"].append(m["id"])
            self.embed(m["id"], person)
            self.raise_modified(ds.path_of(person), ds.times[path][1])
            if end is None:
                self.org_members[org].append(person)

    def meetings(self) -> list[str]:
        rng, ds = self.rng, self.ds
        n = self.count("Meeting")
        gremien = [o for o in self.org_members if o not in self.factions] or list(self.org_members)
        weights = [6.0 if i == 0 else 1.0 for i in range(len(gremien))]
        genitive = {o: _genitive(ds.get(o)["name"]) for o in gremien}
        first = self.now_ts - 86400 * 365 * 6
        span = 86400 * (365 * 6 + 180)
        reserve = self.count("Paper")
        numbers: dict[tuple[str, str], int] = {}
        result: list[str] = []
        for i in range(n):
            day = datetime.fromtimestamp(first + span * (i + rng.random()) / n, BERLIN).date()
            while day.weekday() > 3:
                day += timedelta(days=1)
            hour = rng.choice((9, 14, 16, 17, 17, 18, 18, 19))
            start = datetime(day.year, day.month, day.day, hour, rng.choice((0, 0, 30)), tzinfo=BERLIN)
            end = start + timedelta(minutes=rng.randint(60, 240))
            org = rng.choices(gremien, weights)[0]
            term = next((t[2] for t in self.terms if t[0] <= day <= t[1]), "")
            numbers[(org, term)] = k = numbers.get((org, term), 0) + 1
            mt = self.new("Meeting")
            mid = mt["id"]
            start_ts = start.timestamp()
            past = start_ts < self.now_ts
            roll = rng.random()
            mt["name"] = f"{k}. Sitzung des {genitive[org]}"
            if roll < 0.02:
                mt["meetingState"], mt["cancelled"] = "abgesagt", True
            elif roll < 0.03:
                mt["meetingState"] = "verschoben"
            elif past:
                mt["meetingState"] = "durchgeführt"
            else:
                mt["meetingState"] = "eingeladen" if start_ts - self.now_ts < 86400 * 14 else "geplant"
            if "cancelled" not in mt:
                mt["cancelled"] = False
            mt["start"] = start.isoformat()
            mt["end"] = end.isoformat()
            mt["location"] = self.rooms[0] if org == gremien[0] else rng.choice(self.rooms)
            mt["organization"] = [org]
            held = past and mt["meetingState"] == "durchgeführt"
            if held and self.org_members[org]:
                members = self.org_members[org]
                mt["participant"] = rng.sample(members, min(len(members), 8))
            created, modified = self.span(
                start_ts - rng.uniform(14, 35) * 86400,
                start_ts + rng.uniform(1, 12) * 86400 if held else start_ts - rng.uniform(3, 13) * 86400,
            )
            files = self.files_left > reserve
            if files and not mt.get("cancelled"):
                _put(
                    mt,
                    "invitation",
                    self.file("meeting", mid, f"Einladung {mt['name']}", day - timedelta(days=10), created, modified),
                )
            if held and self.files_left > reserve:
                _put(
                    mt,
                    "resultsProtocol",
                    self.file("meeting", mid, f"Niederschrift {mt['name']}", day, created, modified),
                )
            mt["auxiliaryFile"] = []
            mt["agendaItem"] = self.agenda(mid, held, created, modified)
            mt["web"] = f"https://ris.musterstadt.de/si0057.php?__ksinr={mid.rsplit('/', 1)[1]}"
            for attr, many in EMBEDDED["Meeting"].items():
                for child in (mt.get(attr) or []) if many else [mt.get(attr)]:
                    if child:
                        self.embed(child, mid)
            result.append(self.store(mt, created, modified))
        return result

    def agenda(self, meeting_id: str, held: bool, created: float, modified: float) -> list[str]:
        rng = self.rng
        items: list[str] = []
        for order in range(1, AGENDA_ITEMS_PER_MEETING + 1):
            ai = self.new("AgendaItem")
            if order == 1:
                name = nm.AGENDA_OPENING
            elif order == 2:
                name = nm.AGENDA_MINUTES
            elif order == AGENDA_ITEMS_PER_MEETING:
                name = nm.AGENDA_CLOSING
            else:
                name = rng.choice(nm.AGENDA_FILLER)
            ai.update(
                {
                    "meeting": meeting_id,
                    "number": str(order),
                    "order": order,
                    "name": name,
                    "public": not (order == AGENDA_ITEMS_PER_MEETING - 1 and rng.random() < 0.2),
                }
            )
            if held and order in (2, AGENDA_ITEMS_PER_MEETING - 1):
                ai["result"] = "Zur Kenntnis genommen"
            ai["auxiliaryFile"] = []
            items.append(ai["id"])
            self.store(ai, created, modified)
        return items

    def papers(self, meetings: list[str]) -> list[str]:
        rng, ds = self.rng, self.ds
        slots: list[tuple[str, str, float]] = []
        for mpath in meetings:
            mt = ds.objects[mpath]
            if mt.get("cancelled") or mt["meetingState"] == "verschoben":
                continue
            start_ts = datetime.fromisoformat(mt["start"]).timestamp()
            slots.extend((mpath, ai, start_ts) for ai in mt["agendaItem"][2:-1])
        n = self.count("Paper")
        factions = [ds.get(f)["shortName"] for f in self.factions] or ["SPD"]
        persons = [p for p in ds.lists[self.body_path]["person"]] or []
        ptypes, pweights = zip(*nm.PAPER_TYPES, strict=True)
        per_year: dict[int, int] = {}
        last_anfrage = ""
        result: list[str] = []
        ptr = 0
        for i in range(n):
            ptype = rng.choices(ptypes, pweights)[0]
            k = rng.choices((1, 2, 3), (35, 40, 25))[0] if ptype != "Anfrage" else 1
            ptr = max(ptr, i * len(slots) // n)
            mine = slots[ptr : ptr + k]
            ptr += len(mine)
            if mine:
                day = datetime.fromtimestamp(mine[0][2] - rng.uniform(7, 40) * 86400, BERLIN).date()
            else:
                day = datetime.fromtimestamp(self.now_ts - rng.uniform(1, 60) * 86400, BERLIN).date()
            day = min(day, ds.now.date() - timedelta(days=1))
            per_year[day.year] = seq = per_year.get(day.year, 0) + 1
            topic = rng.choice(nm.TOPICS).format(
                d=rng.choice(nm.DISTRICTS), s=rng.choice(nm.STREETS), y=day.year, n=rng.randint(1, 250)
            )
            pa = self.new("Paper")
            pid = pa["id"]
            reference = f"{day.year}/{seq:04d}"
            if ptype == "Antrag":
                name = f"Antrag der {rng.choice(factions)}-Fraktion: {topic}"
            elif ptype == "Anfrage":
                name = f"Anfrage: {topic}"
            elif ptype == "Beantwortung einer Anfrage":
                name = f"Beantwortung der Anfrage {last_anfrage or reference}"
            else:
                name = topic
            pa.update(
                {
                    "body": ds.bodies[0],
                    "name": name,
                    "reference": reference,
                    "date": day.isoformat(),
                    "paperType": ptype,
                }
            )
            if ptype == "Anfrage":
                last_anfrage = reference
            created = _ts(day) + rng.uniform(8, 17) * 3600
            last = mine[-1][2] if mine else created
            created, modified = self.span(created, max(created, last) + rng.uniform(1, 20) * 86400)
            if ptype in ("Antrag", "Anfrage") and persons:
                pa["originatorPerson"] = [ds.id_of(p) for p in rng.sample(persons, min(2, len(persons)))]
            if ptype == "Antrag" and self.factions:
                pa["originatorOrganization"] = [rng.choice(self.factions)]
            if ptype == "Beschlussvorlage" and rng.random() < 0.1:
                street = f"{rng.choice(nm.STREETS)} {rng.randint(1, 80)}"
                pa["location"] = [self.location(f"{street}, 99999 Musterstadt", created, street=street)]
            _put(pa, "mainFile", self.file("paper", pid, f"Vorlage {reference}", day, created, modified))
            pa["auxiliaryFile"] = []
            pa["consultation"] = self.consultations(pid, name, mine, ptype, created, modified)
            pa["web"] = f"https://ris.musterstadt.de/vo0050.php?__kvonr={pid.rsplit('/', 1)[1]}"
            for attr, many in EMBEDDED["Paper"].items():
                for child in (pa.get(attr) or []) if many else [pa.get(attr)]:
                    if child:
                        self.embed(child, pid)
            result.append(self.store(pa, created, modified))
        return result

    def consultations(
        self,
        paper_id: str,
        paper_name: str,
        slots: list[tuple[str, str, float]],
        ptype: str,
        created: float,
        modified: float,
    ) -> list[str]:
        rng, ds = self.rng, self.ds
        out: list[str] = []
        gremien = [o for o in self.org_members if o not in self.factions] or list(self.org_members)
        for j, (mpath, ai_id, start_ts) in enumerate(slots or [("", "", 0.0)]):
            c = self.new("Consultation")
            c["paper"] = paper_id
            if mpath:
                meeting = ds.objects[mpath]
                ai = ds.get(ai_id)
                c["agendaItem"], c["meeting"] = ai_id, meeting["id"]
                c["organization"] = list(meeting["organization"])
                ai["name"] = paper_name
                ai["consultation"] = c["id"]
                if start_ts < self.now_ts and meeting["meetingState"] == "durchgeführt":
                    ai["result"] = rng.choice(nm.RESULTS)
                    if rng.random() < 0.3:
                        ai["resolutionText"] = "Der Beschluss wird wie in der Vorlage vorgeschlagen gefasst."
            else:
                c["organization"] = [rng.choice(gremien)]
            last = j == max(len(slots), 1) - 1
            c["authoritative"] = last and ptype in ("Beschlussvorlage", "Antrag")
            c["role"] = (
                "Beschlussfassung"
                if last and ptype in ("Beschlussvorlage", "Antrag")
                else "Kenntnisnahme"
                if ptype not in ("Beschlussvorlage", "Antrag")
                else rng.choice(nm.CONSULTATION_ROLES[:1] + nm.CONSULTATION_ROLES[3:])
            )
            self.store(c, created, modified)
            out.append(c["id"])
        return out

    def extra_files(self, meetings: list[str], papers: list[str]) -> None:
        """Spend the remaining file budget on auxiliary files and resolution files."""
        rng, ds = self.rng, self.ds
        while self.files_left > 0 and (meetings or papers):
            roll = rng.random()
            if (roll < 0.55 and papers) or not meetings:
                owner, attr, back, label = rng.choice(papers), "auxiliaryFile", "paper", "Anlage"
            else:
                owner, attr, back, label = rng.choice(meetings), "auxiliaryFile", "meeting", "Nachtrag"
                if roll > 0.8:
                    items = ds.objects[owner]["agendaItem"]
                    ai_path = ds.path_of(items[rng.randrange(len(items))])
                    if "result" in ds.objects[ai_path]:
                        owner, back, label = ai_path, "agendaItem", "Beschluss"
                        has = "resolutionFile" in ds.objects[ai_path]
                        attr = "auxiliaryFile" if has else "resolutionFile"
            obj = ds.objects[owner]
            created, modified = ds.times[owner]
            day = datetime.fromtimestamp(created, BERLIN).date()
            label = f"{label} {len(obj.get(attr) or []) + 1}"
            fid = self.file(back, obj["id"], label, day, created, modified)
            if fid is None:
                break
            if attr == "resolutionFile":
                obj[attr] = fid
            else:
                obj.setdefault(attr, []).append(fid)
            self.embed(fid, obj["id"])

    def specials(self) -> None:
        """Tombstones, plus persons that are in no list (for the ``unlisted_refs`` quirk)."""
        rng, ds = self.rng, self.ds
        for _ in range(3):
            p = self.new("Person")
            p.update(
                {
                    "body": ds.bodies[0],
                    "name": f"{rng.choice(nm.GIVEN_FEMALE)} {rng.choice(nm.FAMILY)}",
                    "status": ["Sachkundige Bürgerin"],
                }
            )
            ds.unlisted.add(self.store(p, *self.span(self.now_ts - 86400 * 300, self.now_ts - 86400 * 3), listed=False))
        ds.missing_refs.extend(f"{ds.base_url}/persons/{900000 + k}" for k in (1, 2))
        if not self.tombstones:
            return
        for tname in ("Paper", "Meeting"):
            for _ in range(max(1, round(self.count(tname) * 0.005))):
                t = self.new(tname)
                created, modified = self.span(
                    self.now_ts - rng.uniform(30, 700) * 86400, self.now_ts - rng.uniform(1, 25) * 86400
                )
                t["deleted"] = True
                path = self.store(t, created, modified)
                del ds.objects[path]["created"]


def _put(obj: JsonObj, attr: str, value: str | None) -> None:
    if value is not None:
        obj[attr] = value


def _ts(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=BERLIN).timestamp()


def _slug(text: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
    out = "".join(ch if ch.isalnum() else "_" for ch in text.translate(table).lower())
    return "_".join(part for part in out.split("_") if part)


def _genitive(name: str) -> str:
    for entry in nm.ORGANIZATIONS:
        if entry[0] == name and entry[2]:
            return entry[2]
    if name.startswith("Ortschaftsrat "):
        return "Ortschaftsrates " + name.split(" ", 1)[1]
    if name.startswith("Projektbeirat "):
        return "Projektbeirates " + name.split(" ", 1)[1]
    return name


def generate(
    base_url: str,
    *,
    scale: float = 0.02,
    version: str = "1.1",
    seed: int = 1,
    now: datetime | None = None,
    tombstones: bool = True,
) -> Dataset:
    """Generate a deterministic sample council ("Stadt Musterstadt") served under ``base_url``.

    Scale 1.0: 50 organizations, 500 persons, 2,000 memberships, 5,000 meetings with 10 agenda
    items each, 20,000 papers with 1-3 consultations, 40,000 files. ``tombstones`` adds a few
    already deleted papers and meetings (visible in lists only with ``modified_since``).
    """
    if version not in VERSIONS:
        raise ValueError(f"unsupported OParl version {version!r}")
    if scale <= 0:
        raise ValueError("scale must be positive")
    now = (now or DEFAULT_NOW).astimezone(BERLIN)
    ds = Dataset(base_url=base_url.rstrip("/"), version=version, now=now)
    Generator(ds, scale, seed, tombstones).run()
    return ds
