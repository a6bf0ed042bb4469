"""Stage 4 of extraction: the clause rules that read one sentence's tokens and
mentions (triggers, subject, agent, target slots, negation and modality)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from allied.monitor import lexicon as lx
from allied.monitor.gazetteer import MentionKind
from allied.monitor.model import EventType
from allied.monitor.syntax import (
    ADDRESSED,
    ARTICLES,
    AUXILIARIES,
    BE_FORMS,
    DETERMINERS,
    IRREGULAR_PARTICIPLES,
    MODAL_OR_TO,
    NEEDS_TARGET,
    NOUN_CONTEXT,
    OBJECT_VERBS,
    ORGS,
    PLURAL_NOUNS,
    POSSESSIVE,
    PRONOUN_SUBJECTS,
    SPEECH_VERBS,
    STOP,
    TARGET_SLOTS,
    TRAVEL,
    VERB_ONLY_IF,
    Found,
    Mention,
    T,
    Trigger,
)


def _known_stem(lemma: str) -> str:
    """A lexicon verb for an inflection the lookup table lacks ("crowdfunded")."""
    if lemma in lx.VERBS or lemma in lx.NOUNS or len(lemma) < 6:
        return lemma
    for suffix, add in (("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"), ("s", "")):
        if lemma.endswith(suffix):
            stem = lemma[: -len(suffix)] + add
            if stem in lx.VERBS:
                return stem
    return lemma


class Sentence:
    """One sentence's tokens, mentions and the rules that read them."""

    def __init__(
        self,
        doc: Any,
        s0: int,
        s1: int,
        mentions: dict[int, Mention],
        lemma: Callable[[Any], str] | None = None,
        previous_subject: tuple[str, ...] | None = None,
        previous_plural: tuple[str, ...] | None = None,
    ) -> None:
        self.previous_subject = previous_subject
        self.doc = doc
        self.s0 = s0
        self.s1 = s1
        self.mentions = mentions
        if previous_plural:
            self.mentions = dict(mentions)
            self._plural_references(previous_plural)
        self.low: dict[int, str] = {i: str(doc[i].text).lower() for i in range(s0, s1)}
        lemma_of = lemma or (lambda t: str(t.lemma_).lower())
        self.lem: dict[int, str] = {i: _known_stem(lemma_of(doc[i])) for i in range(s0, s1)}
        self.trigger_at: set[int] = set()
        self.verb_trigger_at: set[int] = set()
        self.trigger_type: dict[int, EventType] = {}

    def _plural_references(self, codes: tuple[str, ...]) -> None:
        """"both countries", "the two states", "them": the last plural subject."""
        k = self.s0
        while k < self.s1:
            w = str(self.doc[k].text).lower()
            nxt = str(self.doc[k + 1].text).lower() if k + 1 < self.s1 else ""
            length = 0
            if w == "both" and nxt in PLURAL_NOUNS:
                length = 2
            elif w == "the" and nxt == "two" and k + 2 < self.s1 and (
                str(self.doc[k + 2].text).lower() in PLURAL_NOUNS
            ):
                length = 3
            elif w == "them" and k not in self.mentions:
                length = 1
            if length and not any(j in self.mentions for j in range(k, k + length)):
                m = Mention(k, k + length, codes, MentionKind.GROUP, "", False, False)
                for j in range(k, k + length):
                    self.mentions[j] = m
                k += length
                continue
            k += 1

    # -- helpers ----------------------------------------------------------------
    def word(self, i: int) -> str:
        return self.low.get(i, "")

    def mention_ending(self, i: int) -> Mention | None:
        m = self.mentions.get(i)
        return m if m is not None and m.end - 1 == i else None

    def mention_at(self, i: int) -> Mention | None:
        m = self.mentions.get(i)
        return m if m is not None and m.start == i else None

    def nonfinite(self, trig: Trigger) -> bool:
        """An -ing form or an infinitive ("to send"), not a finite verb."""
        if trig.noun:
            return False
        w = self.word(trig.index)
        return (w.endswith("ing") and len(w) > 4) or self.word(trig.index - 1) == "to"

    def quoted(self, i: int) -> bool:
        opened = 0
        for k in range(self.s0, i):
            w = self.doc[k].text
            if w == "“":
                opened += 1
            elif w == "”":
                opened = max(0, opened - 1)
            elif w == '"':
                opened = 1 - opened
        return opened > 0

    def skip_back_parenthetical(self, j: int) -> int:
        """From a closing ')' or dash at ``j``, the index before the matching opener."""
        w = self.doc[j].text
        if w == ")":
            for k in range(j - 1, self.s0 - 1, -1):
                if self.doc[k].text == "(":
                    return k - 1
            return self.s0 - 1
        if w in lx.DASHES:
            for k in range(j - 1, self.s0 - 1, -1):
                if self.doc[k].text in lx.DASHES:
                    return k - 1
        return j - 1

    def is_break(self, j: int) -> bool:
        w = self.doc[j].text
        return w in lx.HARD_BREAKS or self.word(j) in lx.CLAUSE_BREAKS

    # -- triggers ---------------------------------------------------------------
    def triggers(self) -> list[Trigger]:
        found: list[Trigger] = []
        i = self.s0
        while i < self.s1:
            t = self._trigger(i)
            if t is not None:
                found.append(t)
                self.trigger_at.add(i)
                self.trigger_type[i] = t.type
                if not t.noun:
                    self.verb_trigger_at.add(i)
                i = t.span_end
            else:
                i += 1
        return found

    def _nounish(self, i: int) -> bool:
        prev = self.word(i - 1) if i > self.s0 else ""
        if prev in NOUN_CONTEXT:
            return True
        if i - 1 >= self.s0 and (m := self.mention_ending(i - 1)) is not None:
            return m.kind in (MentionKind.ADJECTIVE, MentionKind.ORGANISATION) or (
                m.possessive
            )
        w = self.word(i)
        if w.endswith("s") and not w.endswith("ss") and self.lem[i] in lx.NOUNS:
            # "transfers", "supplies": a verb only after a subject
            return not (
                prev in PRONOUN_SUBJECTS
                or prev.endswith("ly")
                or (i - 1 >= self.s0 and self.mention_ending(i - 1) is not None)
            )
        return False

    def _trigger(self, i: int) -> Trigger | None:
        if i in self.mentions:
            return None
        lem, w = self.lem[i], self.word(i)
        nxt = self.word(i + 1) if i + 1 < self.s1 else ""
        if lem in lx.PHRASAL and not (lem in lx.NOUNS and self._nounish(i)):
            table = lx.PHRASAL[lem]
            reach = 9 if lem == "put" else 4  # "put its rapid reaction force on high alert"
            for k in range(i + 1, min(i + reach, self.s1)):
                if self.word(k) in table or self.lem.get(k, "") in table:
                    key = self.word(k) if self.word(k) in table else self.lem[k]
                    if lem in ("impose", "threaten", "hold", "pull", "ask", "put") or k == i + 1:
                        return Trigger(i, table[key], False, lem, k + 1)
        noun_ok = lem in lx.NOUNS and (
            lem not in lx.NOUN_NEEDS_NEXT
            or nxt in lx.NOUN_NEEDS_NEXT[lem]
            or (
                lem == "package"  # "announced its largest package yet"
                and any(self.lem.get(k, "") in lx.LIGHT_VERBS
                        for k in range(max(self.s0, i - 4), i))
            )
        )
        verb_ok = lem in lx.VERBS
        if verb_ok and lem in VERB_ONLY_IF:
            nxt_mention = i + 1 < self.s1 and (
                self.mention_at(i + 1) is not None
                or (nxt in ARTICLES and self.mention_at(i + 2) is not None)
            )
            after_modal = i > self.s0 and self.word(i - 1) in MODAL_OR_TO
            verb_ok = w in VERB_ONLY_IF[lem] or nxt_mention or (w == lem and after_modal)
        if verb_ok and lem in ("pledge", "offer", "promise") and nxt == "to":
            verb_ok = False  # "offered to station troops": the intent of the next verb
        if verb_ok and noun_ok:
            if self._nounish(i):
                verb_ok = False
            else:
                noun_ok = False
        elif verb_ok and lem in lx.NOUNS and self._nounish(i):
            verb_ok = False
        if verb_ok and w == "arms":
            verb_ok = False
        if verb_ok and i > self.s0 and (m := self.mention_ending(i - 1)) is not None and (
            m.kind is MentionKind.ADJECTIVE
        ):
            verb_ok = False  # "Russian shipping": a noun after an adjective
        if verb_ok and not noun_ok and i > self.s0 and (
            self.word(i - 1) in DETERMINERS or self.doc[i - 1].text in POSSESSIVE
        ):
            verb_ok = False  # "its training mission": a noun here, not a verb
        if verb_ok:
            return Trigger(i, lx.VERBS[lem], False, lem, i + 1)
        if noun_ok:
            return Trigger(i, lx.NOUNS[lem], True, lem, i + 1)
        stance = lem in lx.MEMBERSHIP_SUPPORT_VERBS or lem in lx.MEMBERSHIP_OPPOSE_VERBS
        window = range(i + 1, min(i + 7, self.s1))
        about_membership = any(self.lem.get(k, "") in lx.MEMBERSHIP_WORDS for k in window) or (
            lem in lx.MEMBERSHIP_OPPOSE_VERBS
            and any(self.lem.get(k, "") in lx.MEMBERSHIP_WORDS for k in range(self.s0, i))
        )  # "Poland backed an invitation for Kyiv, while the US opposed setting a date"
        if stance and lem in ("agree", "accept"):
            # only "agree to (Ukrainian) membership", not "agreed to open accession talks"
            named = self.mention_at(i + 2)
            after = named.end if named is not None else i + 2
            about_membership = nxt == "to" and self.lem.get(after, "") in lx.MEMBERSHIP_WORDS
        if stance and about_membership and not self._nounish(i):
            kind = (
                T.SUPPORT_MEMBERSHIP if lem in lx.MEMBERSHIP_SUPPORT_VERBS else T.OPPOSE_MEMBERSHIP
            )
            return Trigger(i, kind, False, lem, i + 1)
        return None

    # -- actors -----------------------------------------------------------------
    def _joiner(self, a: int, b: int) -> str | None:
        """How the tokens a..b-1 between two mentions join them: 'and', ',' or None."""
        words = [self.word(k) for k in range(a, b)]
        words = [w for w in words if w not in ("the", "both", "as", "well")]
        if not words:
            return None
        if words in (["and"], ["or"]):
            return "and"
        if words in ([",", "and"], [",", "or"]):
            return ", and"
        if words == [","]:
            return ","
        return None

    def group_back(self, m: Mention) -> list[Mention]:
        """``m`` and the mentions coordinated before it ("Germany and France").

        A list is "A, B and C" or "A, B, and C": a bare comma joins only once an "and"
        has been seen ("In Berlin, Boris Pistorius" is no list), and ", and" joins only
        the last item of a list ("in Finland, and Norway and Denmark" is two clauses).
        """
        group = [m]
        seen_and = False
        while True:
            first = group[0]
            k = first.start - 1
            while k >= self.s0 and self.word(k) in ("and", "or", ",", "the", "both", "as", "well"):
                k -= 1
            prev = self.mention_ending(k) if k >= self.s0 else None
            if prev is None or prev.modifier or prev.possessive != m.possessive:
                break
            joiner = self._joiner(prev.end, first.start)
            if joiner is None or (joiner == "," and not seen_and):
                break
            if joiner == "," and self.before_group([prev]) in lx.PREPOSITIONS:
                break  # "to Kyiv, Poland and Lithuania are": Kyiv ends the clause before
            # ", and" joins only the last item of a list of three or more
            if joiner == ", and" and (len(group) > 1 or self.word(prev.start - 1) != ","):
                break
            seen_and = seen_and or joiner != ","
            group.insert(0, prev)
        return group

    def group_forward(self, m: Mention, limit: int) -> list[Mention]:
        """``m`` and the mentions coordinated after it; a bare comma needs a closing "and"."""
        group = [m]
        pending: list[Mention] = []  # joined by commas, kept once an "and" closes the list
        last = m
        while True:
            k = last.end
            while k < limit and self.word(k) in ("and", "or", ",", "the", "as", "well"):
                k += 1
            nxt = self.mention_at(k) if k < limit else None
            if nxt is None or nxt.modifier or nxt.possessive != m.possessive:
                break
            joiner = self._joiner(last.end, nxt.start)
            if joiner is None:
                break
            if joiner == ", and" and not pending and len(group) < 2:
                break  # "to Ukraine, and Poland followed": a new clause, not a list
            if joiner == ",":
                pending.append(nxt)
                last = nxt
                continue
            group.extend(pending)
            pending = []
            group.append(nxt)
            break  # "A, B and C": the "and" closes the list
        after = self.word(group[-1].end)
        if len(group) > 1 and (after in AUXILIARIES or group[-1].end in self.verb_trigger_at):
            return [m]  # "to Kyiv, Poland and Lithuania are sending": a new clause's subject
        return group

    def before_group(self, group: list[Mention]) -> str:
        k = group[0].start - 1
        while k >= self.s0 and self.word(k) in ARTICLES:
            k -= 1
        return self.word(k) if k >= self.s0 else ""

    def _past_verb(self, k: int) -> bool:
        """A lower-case past-tense verb ("praised") that is not a speech verb or a trigger."""
        w = self.word(k)
        text = self.doc[k].text
        return (
            text.isalpha()
            and text.islower()
            and w.endswith("ed")
            and len(w) > 4
            and w not in SPEECH_VERBS
            and w not in lx.PREPOSITIONS
            and k not in self.trigger_at
        )

    def subject_ok(self, group: list[Mention], trigger: int) -> bool:
        m = group[-1]
        if m.modifier or m.kind is MentionKind.ADJECTIVE:
            return False
        if m.possessive:
            k = m.end + (1 if self.word(m.end) in POSSESSIVE else 0)
            skipped = 0
            while k < trigger and self.word(k) not in lx.MODAL_NOUNS and skipped < 2:
                k += 1
                skipped += 1
            return self.word(k) in lx.MODAL_NOUNS and self.word(k + 1) == "to"
        k = group[0].start - 1
        while k >= self.s0 and self.word(k) in ARTICLES:
            k -= 1
        if k >= self.s0 and (
            (k in self.verb_trigger_at and self.trigger_type.get(k) is not T.AUTHORISE)
            or self.lem[k] in OBJECT_VERBS
            or self._past_verb(k)
            or (self.word(k - 1) == "to" and self.doc[k].is_alpha and self.doc[k].is_lower)
        ):
            return False  # "asked Germany to ...", "praised Finland and urged": an object
        if self.before_group(group) in lx.PREPOSITIONS:
            after = self.word(m.end)
            if after.endswith("ing") and len(after) > 4:
                return True
            # "clearance for Latvia to transfer": the subject of an infinitive
            return self.before_group(group) == "for" and after == "to" and m.end + 1 == trigger
        return True

    def subject_before(self, i: int) -> Found | None:
        j = i - 1
        while j >= self.s0:
            w = self.doc[j].text
            if w == ")" or (w in lx.DASHES and self._has_dash_before(j)):
                j = self.skip_back_parenthetical(j)
                continue
            if w in ("”", '"'):
                opening = self._short_quote_start(j)
                if opening is not None:
                    j = opening - 1  # 'respond with "military-technical" measures'
                    continue
            if w in lx.DASHES or self.is_break(j):
                return self._antecedent(j, i) or self._speaker(j, i)
            m = self.mention_ending(j)
            if m is not None:
                group = self.group_back(m)
                if self.subject_ok(group, i):
                    codes = tuple(dict.fromkeys(c for g in group for c in g.codes))
                    return Found(codes, m.end, actor_start=group[0].start)
                j = group[0].start - 1
                continue
            j -= 1
        return None

    def _short_quote_start(self, j: int, longest: int = 6) -> int | None:
        """The opening quote of a short quoted phrase that closes at ``j``."""
        for k in range(j - 1, max(self.s0, j - longest - 1) - 1, -1):
            if self.doc[k].text in ("“", '"'):
                return k
            if self.doc[k].text in (".", "!", "?", ";", ":"):
                return None
        return None

    def _antecedent(self, j: int, i: int) -> Found | None:
        """"Hungary, which has refused ..., called for": the subject before a closed relative."""
        if self.word(j) not in ("which", "who") or self.word(j - 1) != ",":
            return None
        if not any(self.doc[k].text == "," for k in range(j + 1, i)):
            return None
        m = self.mention_ending(j - 2)
        if m is None or m.possessive or m.modifier:
            return None
        group = self.group_back(m)
        if self.before_group(group) in lx.PREPOSITIONS:
            return None
        codes = tuple(dict.fromkeys(c for g in group for c in g.codes))
        closing = max(k for k in range(j + 1, i) if self.doc[k].text == ",")
        return Found(codes, closing + 1, actor_start=group[0].start)

    def _speaker(self, j: int, i: int) -> Found | None:
        """"Estonia said it supported ...": a pronoun subject after a speech verb is the speaker."""
        if self.word(j) not in SPEECH_VERBS and self.word(j) not in ("say", "added", "argued"):
            return None
        k = j + 1
        if self.word(k) == "that":
            k += 1
        if self.word(k) not in ("it", "they", "he", "she", "we") or k >= i:
            return None
        return self.subject_before(j)

    def _has_dash_before(self, j: int) -> bool:
        return any(self.doc[k].text in lx.DASHES for k in range(self.s0, j))

    def subject_after(self, i: int) -> Found | None:
        """Fronted participle ("By mobilizing ..., Russia is"): the subject after the comma."""
        k = i + 1
        while k < self.s1 and self.doc[k].text != ",":
            k += 1
        k += 1
        stop = min(self.s1, k + 8)
        while k < stop:
            m = self.mention_at(k)
            if m is not None:
                group = self.group_forward(m, self.s1)
                if not m.modifier and not m.possessive and self.before_group(group) not in (
                    lx.PREPOSITIONS
                ):
                    codes = tuple(dict.fromkeys(c for g in group for c in g.codes))
                    return Found(codes, i, forward=True)
                k = group[-1].end
                continue
            if self.is_break(k):
                return None
            k += 1
        return None

    def possessors(self, i: int) -> Found | None:
        """Actors owning a noun trigger: "Russia's invasion", "the UK's (and America's) support"."""
        k = i - 1
        skipped = 0
        while (
            k >= self.s0
            and skipped < 3
            and self.doc[k].text.isalpha()
            and self.doc[k].text.islower()
            and self.word(k) not in STOP
            and k not in self.mentions
            and self.lem[k] not in lx.LIGHT_VERBS
            and not self._past_verb(k)
        ):
            k -= 1
            skipped += 1
        codes: list[str] = []
        end = -1
        attributive = False
        while k >= self.s0:
            w = self.doc[k].text
            if w in POSSESSIVE or w in ("(", ")"):
                k -= 1
                continue
            if w in ("and", "or", ",", "by", "extension"):
                if not codes:
                    break
                k -= 1
                continue
            m = self.mention_ending(k)
            if m is None or m.modifier:
                break
            namelike = m.kind in (
                MentionKind.ADJECTIVE, MentionKind.ORGANISATION, MentionKind.NAME,
                MentionKind.TITLE, MentionKind.METONYM, MentionKind.GROUP,
            )
            if not m.possessive and (codes or not namelike or m.end != k + 1):
                break
            if not m.possessive and self.word(m.end) in POSSESSIVE:
                break
            codes[:0] = list(m.codes)
            attributive = attributive or not m.possessive
            end = max(end, m.end)
            k = m.start - 1
        if not codes:
            return None
        if attributive:
            # "Switzerland's adoption of EU sanctions": the adopter acts, not the attribute
            j = min(m.start for m in self.mentions.values()
                    if self.s0 <= m.start and m.end <= i and m.end == end) - 1
            while j >= self.s0 and self.word(j) in ARTICLES:
                j -= 1
            if self.word(j) == "of" and self.lem.get(j - 1, "") in lx.LIGHT_NOUNS:
                owner = self.possessors(j - 1)
                if owner is not None and not owner.attributive:
                    return owner
        return Found(tuple(dict.fromkeys(codes)), end, attributive=attributive)

    def agent_after(self, i: int, window: int = 8, *, noun: bool = False) -> Found | None:
        for k in range(i + 1, min(self.s1, i + window)):
            if self.is_break(k):
                return None
            if noun and (
                self.word(k) in BE_FORMS or (self._past_verb(k) and self.word(k + 1) != "by")
            ):
                return None  # "delivery to Ukraine was rejected by": not the noun's agent
            if self.word(k) == "by" and (m := self.mention_at(k + 1) or self.mention_at(k + 2)):
                group = self.group_forward(m, self.s1)
                return Found(tuple(dict.fromkeys(c for g in group for c in g.codes)), i)
        return None

    def passive(self, i: int) -> bool:
        w = self.word(i)
        if not (w.endswith("ed") or w in IRREGULAR_PARTICIPLES):
            return False
        k = i - 1
        while k >= self.s0 and self.word(k).endswith("ly"):
            k -= 1
        return k >= self.s0 and self.word(k) in BE_FORMS

    def find_actor(self, trig: Trigger) -> Found | None:
        i = trig.index
        if trig.noun:
            found = self.possessors(i) or self.agent_after(i, noun=True)
            if found:
                return found
            for k in range(i - 1, max(self.s0, i - 12) - 1, -1):
                if self.lem.get(k, "") in lx.LIGHT_VERBS:
                    return self.subject_before(k)
                if (
                    self.is_break(k)
                    or k in self.mentions
                    or k in self.verb_trigger_at
                    or self.doc[k].text == ","
                ):
                    break
            return None
        if self.passive(i):
            return self.agent_after(i)
        if self.word(i).endswith("ing"):
            k = i - 1
            while k >= self.s0 and self.word(k).endswith("ly"):
                k -= 1
            if k < self.s0 or self.word(k) in lx.PARTICIPLE_OPENERS:
                opener = k
                j = opener - 1
                while j >= self.s0 and self.doc[j].text == ",":
                    j -= 1
                m = self.mention_ending(j) if j >= self.s0 else None
                if m is not None and not m.possessive and not m.modifier:
                    group = self.group_back(m)
                    codes = tuple(dict.fromkeys(c for g in group for c in g.codes))
                    return Found(codes, m.end)
                if opener < self.s0 or opener == self.s0:
                    return self.subject_after(i)
        return self.subject_before(i) or self.pronoun_subject(i)

    def first_subject(self) -> tuple[str, ...] | None:
        """The sentence's first actor in subject position (for later pronouns)."""
        k = self.s0
        while k < self.s1:
            m = self.mention_at(k)
            if m is not None:
                group = self.group_forward(m, self.s1)
                if (
                    not m.modifier
                    and not m.possessive
                    and m.kind is not MentionKind.ADJECTIVE
                    and self.before_group(group) not in lx.PREPOSITIONS
                ):
                    return tuple(dict.fromkeys(c for g in group for c in g.codes))
                k = group[-1].end
                continue
            k += 1
        return None

    def pronoun_subject(self, i: int) -> Found | None:
        """"..., where he urged Zelenskyy": a pronoun subject names the sentence's first
        subject before it, or the previous sentence's."""
        k = i - 1
        while k >= self.s0 and (
            self.word(k) in AUXILIARIES
            or self.word(k) in ("also", "then", "later", "now", "again", "since", "been")
            or self.word(k).endswith("ly")
        ):
            k -= 1
        if k < self.s0 or self.word(k) not in ("he", "she", "it", "they"):
            # "but it still refuses to send tanks and has blocked": the clause's pronoun
            k = i - 1
            while k >= self.s0 and not self.is_break(k) and self.word(k) not in (
                "he", "she", "it", "they"
            ):
                k -= 1
            if k < self.s0 or self.word(k) not in ("he", "she", "it", "they"):
                return None
            if k > self.s0 and self.word(k - 1) not in lx.CLAUSE_BREAKS | lx.HARD_BREAKS | {","}:
                return None  # an object pronoun ("sent it"), not a subject
        pronoun = k
        earlier = Sentence(self.doc, self.s0, pronoun, self.mentions).first_subject()
        codes = earlier or self.previous_subject
        if not codes:
            return None
        if self.word(pronoun) in ("he", "she") and set(codes) <= ORGS:
            return None  # "The U.N. office estimates ... He said": a person, not the body
        return Found(codes, pronoun + 1, cues=["pronoun"], actor_start=pronoun)

    # -- cues -------------------------------------------------------------------
    def cues(self, lo: int, hi: int, actor_start: int | None = None) -> tuple[list[str], bool]:
        """(cues, cancelled) from the words between the actor and the trigger."""
        cues: list[str] = []
        speech = False
        if actor_start is not None:
            k = actor_start - 1
            while k >= self.s0 and self.word(k) in ("that", *ARTICLES):
                k -= 1
            speech = k >= self.s0 and self.word(k) in SPEECH_VERBS
            if k >= self.s0 and self.word(k) in ("if", "unless", "whether"):
                return ["hypothetical"], True  # "if Washington sent tanks"
        for k in range(max(lo, self.s0), hi):
            w = self.word(k)
            if w in lx.NEGATIONS:
                return ["negated"], True
            if w in SPEECH_VERBS:
                speech = True  # "Warsaw announced it would send": reported intent
            if speech and w in ("would", "will"):
                cues += ["intent", "reported"]  # "said Washington would supply"
                continue
            if w in lx.HYPOTHETICAL:
                return ["hypothetical"], True
            if w in lx.INTENT:
                cues.append("intent")
            if w in lx.REPORTED:
                cues.append("reported")
        return cues, False

    # -- targets ----------------------------------------------------------------
    def target_window(self, trig: Trigger, forward_actor: bool) -> int:
        k = trig.span_end
        stop = min(self.s1, k + 20)
        while k < stop:
            w = self.doc[k].text
            if w in lx.HARD_BREAKS or w in lx.DASHES:
                break
            if self.word(k) in lx.CLAUSE_BREAKS and self.word(k) != "that":
                break
            if forward_actor and w == ",":
                break
            if k in self.verb_trigger_at:
                break
            if w == "," and self.word(k + 1) in ("and", "but"):
                m = self.mention_at(k + 2) or self.mention_at(k + 3)
                if m is not None and (
                    self.word(m.end) in AUXILIARIES
                    or m.end in self.verb_trigger_at
                    or self._past_verb(m.end)
                ):
                    break  # ", and Australia signed ...": a new clause with its own subject
            k += 1
        return k

    def membership_target(self, actors: tuple[str, ...]) -> tuple[str, ...]:
        """The state whose membership the sentence is about ("an invitation for Kyiv")."""
        best: tuple[int, tuple[str, ...]] | None = None
        for k in range(self.s0, self.s1):
            if self.lem.get(k, "") not in lx.MEMBERSHIP_WORDS:
                continue
            for m in {id(m): m for m in self.mentions.values()}.values():
                if not (self.s0 <= m.start < self.s1) or m.modifier:
                    continue
                if set(m.codes) & (ORGS | set(actors)):
                    continue
                distance = abs(m.start - k)
                if distance <= 4 and (best is None or distance < best[0]):
                    best = (distance, m.codes)
        return best[1] if best else ()

    def targets(
        self, trig: Trigger, etype: EventType, limit: int, actors: tuple[str, ...] = ()
    ) -> tuple[str, ...]:
        slots = TARGET_SLOTS.get(etype, ())
        if etype is T.WITHDRAW and trig.span_end - trig.index > 1:
            slots = (("prep", frozenset({"from", "of"})),)  # "pulled ... out of X"
        elif etype is T.WITHDRAW and trig.lemma in ("leave", "evacuate"):
            slots = (("direct", frozenset()), ("prep", frozenset({"from"})))  # "left Kyiv"
        for slot, preps in slots:
            group: list[Mention] | None = None
            if slot == "direct":
                if etype is T.CALL_FOR and trig.lemma not in ADDRESSED:
                    continue
                k = trig.span_end
                inner = [
                    j for j in range(trig.index + 1, trig.span_end - 1) if self.mention_at(j)
                ]
                if inner:
                    k = inner[0]  # "asked Germany for", "pulled its troops out"
                while (
                    k < limit
                    and self.mention_at(k) is None
                    and (
                        self.word(k) in ARTICLES
                        or self.word(k) in ("his", "her", "their", "its", "our")
                        or self.word(k).endswith("ly")
                        or self.doc[k].like_num
                    )
                ):
                    k += 1
                m = self.mention_at(k) if k < limit else None
                if (
                    m is not None
                    and m.kind is MentionKind.ADJECTIVE
                    and etype not in (T.AUTHORISE, T.BLOCK)
                ):
                    m = None
                if m is not None and not m.modifier:
                    group = self.group_forward(m, limit)
            elif slot == "after_that":
                for k in range(trig.span_end, min(limit, trig.span_end + 2)):
                    if self.word(k) == "that":
                        m = self.mention_at(k + 1) or self.mention_at(k + 2)
                        if m is not None and not m.modifier:
                            group = self.group_forward(m, limit)
                        break
            else:
                for k in range(trig.span_end, limit):
                    m = self.mention_at(k)
                    if m is None or m.modifier or set(m.codes) <= set(actors):
                        continue
                    if m.kind is MentionKind.ADJECTIVE and slot == "any" and etype not in (
                        T.SUPPORT_MEMBERSHIP, T.OPPOSE_MEMBERSHIP
                    ):
                        continue  # but "Ukrainian membership" names Ukraine
                    prev = self.before_group([m])
                    if slot == "any" or prev in preps:
                        group = self.group_forward(m, limit)
                        if etype is T.AUTHORISE and self.word(group[-1].end) != "to":
                            group = None  # "approved a package for Ukraine": no licence
                            continue
                        break
            if group:
                return tuple(dict.fromkeys(c for g in group for c in g.codes))
        return ()

    def organisation_named(self) -> tuple[str, ...]:
        """The one organisation the sentence names ("outside the alliance ... had joined")."""
        orgs = {
            c for m in self.mentions.values() if self.s0 <= m.start < self.s1 for c in m.codes
        } & ORGS
        return tuple(orgs) if len(orgs) == 1 else ()

    def antecedent_state(self, found: Found) -> tuple[str, ...]:
        """"Sweden joined after Hungary ratified its accession": the state "its" refers to."""
        start = found.actor_start if found.actor_start is not None else found.actor_end
        for k in range(start - 1, self.s0 - 1, -1):
            m = self.mention_ending(k)
            if m is not None and not m.modifier and not set(m.codes) & (ORGS | set(found.actors)):
                return m.codes
        previous = tuple(c for c in (self.previous_subject or ()) if c not in found.actors)
        return previous if not set(previous) & ORGS else ()

    def object_words(self, trig: Trigger, n: int = 4) -> list[str]:
        out: list[str] = []
        k = trig.span_end
        while k < self.s1 and len(out) < n:
            w = self.word(k)
            if w not in ARTICLES and w.isalpha():
                out.append(w)
            k += 1
        return out

    # -- one trigger -> events --------------------------------------------------
    def event(
        self, trig: Trigger, triggers: Sequence[Trigger]
    ) -> list[tuple[EventType, Found, tuple[str, ...], list[str]]]:
        i = trig.index
        etype = trig.type
        if not trig.noun and self.word(i - 1) == "from":
            return []  # "blocking Estonia from transferring": prevented, not done
        objects = self.object_words(trig)
        head = []
        for w in objects[:3]:
            if w in lx.PREPOSITIONS:
                break
            head.append(w)
        if etype is T.PROVIDE and set(head) & lx.FIGURATIVE_OBJECTS:
            return []
        if etype is T.PROVIDE and trig.lemma in ("send", "dispatch") and (
            set(objects) & lx.FORCE_WORDS
        ):
            etype = T.DEPLOY
        if trig.lemma in ("send", "dispatch") and set(objects[:3]) & lx.DELEGATES:
            return []  # "sent a delegation to attend the inauguration": a visit (parse)
        if trig.lemma in ("give", "grant") and set(objects) & lx.ULTIMATUM_OBJECTS:
            return []  # "gave the agency 14 days to present a plan": a demand (parse)
        if trig.lemma in lx.NEEDS_FORCE_OBJECT and not (
            set(objects) & (lx.FORCE_WORDS | lx.MILITARY_OBJECTS)
        ):
            return []
        if trig.lemma == "package" and set(objects) & lx.NOT_AID:
            return []
        if etype in (T.BLOCK, T.AUTHORISE) and any(
            self.lem.get(k, "") in lx.MEMBERSHIP_WORDS
            for k in range(trig.span_end, min(self.s1, trig.span_end + 5))
        ):
            etype = T.OPPOSE_MEMBERSHIP if etype is T.BLOCK else T.SUPPORT_MEMBERSHIP
        if etype is T.MEET and trig.noun and self.word(trig.span_end) == "between":
            m = self.mention_at(trig.span_end + 1) or self.mention_at(trig.span_end + 2)
            if m is None:
                return []
            group = self.group_forward(m, self.s1)
            codes = tuple(dict.fromkeys(c for g in group for c in g.codes))
            if len(codes) < 2:
                return []
            return [(etype, Found(codes[:1], trig.index), codes[1:], ["nominal"])]
        if trig.lemma == "fly" and self.word(trig.span_end) in TRAVEL:
            return []  # "flew to Moscow": travel, not a delivery
        if trig.lemma in ("push", "ask") and trig.span_end == i + 1:
            m = self.mention_at(i + 1) or (
                self.mention_at(i + 2) if self.word(i + 1) in ARTICLES else None
            )
            if m is None or self.word(m.end) != "to":
                return []  # only "pushed/asked the alliance to adopt ..." is a call
        hi = i + (1 if trig.noun else 0)
        if etype is T.AUTHORISE and not trig.noun:
            k = i - 1 if self.word(i - 1) != "to" else i - 2
            if k >= self.s0 and self.word(k) in lx.BLOCKING_PRECEDERS:
                etype, hi = T.BLOCK, k  # "delayed approving Estonia's request"
        if trig.noun and any(
            self.lem.get(k, "") in lx.RESISTING_VERBS
            for k in range(max(self.s0, i - 4), i)
        ):
            return []  # "resisted EU sanctions": sanctions proposed, not imposed
        if trig.noun and etype in (T.AUTHORISE, T.PROVIDE):
            received = self._received(trig, etype)
            if received is not None:
                return received
        found = self.find_actor(trig)
        if found is None or not found.actors:
            return []
        if trig.lemma in lx.BUY_VERBS:
            return self._purchase(trig, found)
        if self.passive(i) and not trig.noun:
            lo = i
        elif found.forward:
            lo = self._opener(i)
        else:
            lo = found.actor_end
        earlier = [p for p in self.verb_trigger_at if lo <= p < i]
        if earlier:
            # "urged the allies to ... and met Zelenskyy": the cues of a coordinated verb
            # start after the conjunction, not at the shared subject
            joins = [q for q in range(max(earlier) + 1, i) if self.word(q) in ("and", "but")]
            if joins:
                lo = joins[-1] + 1
        cues, cancelled = self.cues(lo, hi, found.actor_start)
        cues = [*found.cues, *cues]
        if trig.noun and self.word(i - 1) in lx.NEGATIONS:
            cancelled = True
        if cancelled and etype in (T.SUPPORT_MEMBERSHIP, T.OPPOSE_MEMBERSHIP) and any(
            self.word(k) in lx.NEGATIONS for k in range(max(lo, self.s0), hi)
        ):
            # "would never agree to Ukrainian membership": a stance, the other way round
            etype = T.OPPOSE_MEMBERSHIP if etype is T.SUPPORT_MEMBERSHIP else T.SUPPORT_MEMBERSHIP
            cancelled, cues = False, ["negated"]
        if cancelled:
            return []
        limit = self.target_window(trig, found.forward)
        if self.passive(i) and not trig.noun:
            subject = self.subject_before(i)
            targets = subject.actors if subject else ()
        else:
            targets = self.targets(trig, etype, limit, found.actors)
        if not targets and etype in (T.RATIFY, T.SUPPORT_MEMBERSHIP, T.OPPOSE_MEMBERSHIP) and (
            self.word(trig.span_end) in ("its", "their")
        ):
            targets = self.antecedent_state(found)
        if not targets and etype in (T.SUPPORT_MEMBERSHIP, T.OPPOSE_MEMBERSHIP):
            targets = self.membership_target(found.actors)
        if not targets and etype in (T.DEPLOY, T.WITHDRAW) and "there" in self.object_words(
            trig, 6
        ):
            targets = self.antecedent_state(found)  # "station soldiers there"
        if etype is T.DEPLOY and trig.lemma in ("send", "dispatch") and targets in ((), ("UKR",)):
            # jets sent to the country at war are aid to it; with no destination, the
            # document's context decides (see finalise)
            etype = T.PROVIDE
        if etype is T.JOIN:
            if targets and not set(targets) & ORGS:
                return []  # "Italy joined France in calling for talks": no membership
            targets = tuple(t for t in targets if t in ORGS)
            after = self.doc[trig.span_end] if trig.span_end < self.s1 else None
            if not targets and (after is None or after.is_punct or self.word(trig.span_end) in (
                lx.PREPOSITIONS
            )):
                targets = self.organisation_named()  # "long after Finland had joined."
        if etype is T.RATIFY:
            targets = tuple(t for t in targets if t not in ORGS)
        targets = tuple(t for t in targets if t not in found.actors)
        if etype in NEEDS_TARGET and not targets:
            return []
        if trig.lemma == "reject" and not targets:
            return []  # "rejected the drafts": a view, not a block of someone's act
        if trig.lemma == "leave" and not targets:
            return []  # "left the room": only leaving a state is a withdrawal
        if trig.noun and not targets and etype is not T.CALL_FOR and found.attributive:
            return []  # "from NATO deployments": a name before a noun, no act
        if trig.noun:
            cues.append("nominal")
        return [(etype, found, targets, cues)]

    def _received(
        self, trig: Trigger, etype: EventType
    ) -> list[tuple[EventType, Found, tuple[str, ...], list[str]]] | None:
        """"Slovakia received approval from Washington": Washington authorises Slovakia."""
        verb = next(
            (k for k in range(trig.index - 1, max(self.s0, trig.index - 4) - 1, -1)
             if self.lem.get(k, "") in lx.RECEIVE_VERBS),
            None,
        )
        if verb is None:
            return None
        receiver = self.subject_before(verb)
        if receiver is None:
            return []
        limit = self.target_window(trig, False)
        for k in range(trig.span_end, limit):
            m = self.mention_at(k)
            if m is not None and not m.modifier and self.before_group([m]) == "from":
                givers = tuple(dict.fromkeys(c for g in self.group_forward(m, limit)
                                             for c in g.codes))
                cues, cancelled = self.cues(receiver.actor_end, verb, receiver.actor_start)
                targets = tuple(t for t in receiver.actors if t not in givers)
                if cancelled or not targets or self.word(verb) == "seek":
                    return []
                return [(etype, Found(givers, trig.index), targets, [*cues, "nominal"])]
        return []

    def _purchase(
        self, trig: Trigger, buyer: Found
    ) -> list[tuple[EventType, Found, tuple[str, ...], list[str]]]:
        """"Tallinn is buying launchers from the United States": the seller provides."""
        cues, cancelled = self.cues(buyer.actor_end, trig.index, buyer.actor_start)
        if cancelled:
            return []
        limit = self.target_window(trig, buyer.forward)
        for k in range(trig.span_end, limit):
            m = self.mention_at(k)
            if m is not None and not m.modifier and self.before_group([m]) == "from":
                group = self.group_forward(m, limit)
                sellers = tuple(dict.fromkeys(c for g in group for c in g.codes))
                seller = Found(sellers, trig.index)
                targets = tuple(t for t in buyer.actors if t not in sellers)
                return [(T.PROVIDE, seller, targets, [*cues, "purchase"])] if targets else []
        return []

    def _opener(self, i: int) -> int:
        k = i - 1
        while k >= self.s0 and self.word(k).endswith("ly"):
            k -= 1
        return max(k, self.s0)
