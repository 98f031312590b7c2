"""The guide's search stack, as a peer for bench/pairs.ts: FastAPI + elasticsearch.dsl on uvicorn (one worker).

GET /api/search?q=...&size=10 sends the same query work as Sift's GET /api/search?q=...&size=10&facets=scope
&highlight= on the same index: each word as Sift scores it (a combined_fields query over the token fields with
their boosts, plus prefix clauses for the word being typed; a phrase as per-field phrase clauses), the exact-name
boost, the function_score popularity signal, the scope facet aggregation, a total exact up to 1,000 (Sift's
default), the same sort, source fields and timeout. GET /debug/body?q=... returns the body it would send, so the bench can check that it
is the one Sift sends. Settings: ES_URL, ES_INDEX (the alias of Sift's index).
"""

import os
import re

from elasticsearch import AsyncElasticsearch
from elasticsearch.dsl import A, AsyncSearch, Q, SF
from fastapi import FastAPI

ES_URL = os.environ["ES_URL"]
ES_INDEX = os.environ["ES_INDEX"]
# As Sift's packages schema: searchable fields and their boosts, the fields a hit returns.
FIELDS = [("name", 4), ("scope", 2), ("summary", 1)]
SOURCE = ["name", "version", "downloads", "scope", "summary"]
PREFIX_WEIGHT = 0.5
# The word being typed also matches longer words at this share of a field's boost (Sift's combined_fields form).
COMBINED_PREFIX_WEIGHT = 0.1
# Sift counts the total exactly up to this bound by default.
TRACK_TOTAL = 1000
EXACT_BOOST = 100
TIMEOUT = os.environ.get("PEER_SEARCH_TIMEOUT", "29000ms")

es = AsyncElasticsearch(ES_URL)
app = FastAPI()
TOKEN = re.compile(r"[^\W_]+")


def field_clause(tokens: list[str], prefix: bool, path: str, boost: float):
    if len(tokens) == 1:
        term = Q("term", **{path: {"value": tokens[0], "boost": boost}})
        if not prefix:
            return term
        return Q(
            "bool",
            should=[term, Q("prefix", **{path: {"value": tokens[0], "boost": boost * PREFIX_WEIGHT}})],
            minimum_should_match=1,
        )
    phrase = " ".join(tokens)
    if not prefix:
        return Q("match_phrase", **{path: {"query": phrase, "boost": boost}})
    return Q("match_phrase_prefix", **{path: {"query": phrase, "boost": boost, "max_expansions": 200}})


def clause(tokens: list[str], prefix: bool):
    if len(tokens) == 1:
        word = tokens[0]
        combined = Q(
            "combined_fields", query=word, fields=[f"_sift.t.{name}^{boost}" for name, boost in FIELDS]
        )
        if not prefix:
            return combined
        prefixes = [
            Q("prefix", **{f"_sift.t.{name}": {"value": word, "boost": boost * COMBINED_PREFIX_WEIGHT}})
            for name, boost in FIELDS
        ]
        return Q("bool", should=[combined, *prefixes], minimum_should_match=1)
    per = [field_clause(tokens, prefix, f"_sift.t.{name}", boost) for name, boost in FIELDS]
    return Q("bool", should=per, minimum_should_match=1)


def build(q: str, size: int) -> AsyncSearch:
    words = [TOKEN.findall(w.lower()) for w in q.split()]
    words = [w for w in words if w]
    if words:
        must = [clause(w, i == len(words) - 1 and not q[-1].isspace()) for i, w in enumerate(words)]
        normalized = " ".join(q.split()).lower()
        relevance = Q(
            "bool",
            must=must,
            should=[Q("constant_score", filter=Q("term", **{"_sift.x.name": normalized}), boost=EXACT_BOOST)],
        )
    else:
        relevance = Q("bool", must=[Q("match_all", boost=0)])
    non_negative = Q("range", downloads={"gte": 0})
    query = Q(
        "function_score",
        query=relevance,
        functions=[
            SF(
                "field_value_factor",
                field="downloads",
                modifier="ln1p",
                missing=0,
                filter=non_negative,
                weight=1,
            ),
            SF(
                "field_value_factor",
                field="downloads",
                factor=0,
                modifier="none",
                missing=0,
                filter=Q("bool", must_not=[non_negative]),
            ),
        ],
        score_mode="sum",
        boost_mode="sum",
    )
    s = (
        AsyncSearch(using=es, index=ES_INDEX)
        .query(query)
        .sort({"_score": {"order": "desc"}}, {"_sift.id": {"order": "asc"}})
        .extra(size=size, from_=0, track_total_hits=TRACK_TOTAL, timeout=TIMEOUT)
        .source(SOURCE)
    )
    s.aggs.bucket("f0", A("filter", filter=Q("match_all"))).bucket(
        "terms", "terms", field="scope", size=10, order=[{"_count": "desc"}, {"_key": "asc"}]
    )
    return s


@app.get("/api/search")
async def search(q: str = "", size: int = 10):
    response = await build(q, size).execute()
    return {
        "hits": [{"id": h.meta.id, "score": h.meta.score, "document": h.to_dict()} for h in response.hits],
        "total": response.hits.total.value,
        "total_relation": response.hits.total.relation,
        "facets": {
            "scope": {
                "buckets": [
                    {"value": b.key, "count": b.doc_count} for b in response.aggregations.f0.terms.buckets
                ]
            }
        },
        "took_ms": response.took,
        "partial": response.timed_out,
    }


@app.get("/debug/body")
async def body(q: str = "", size: int = 10):
    return build(q, size).to_dict()
