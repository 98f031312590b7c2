"""Sift's own check for the schemathesis run of test/integration/http/schemathesis.test.ts (loaded through SCHEMATHESIS_HOOKS).

schemathesis.toml lets valid data get a 400 on the operations where the answer depends on more than the request's
shape: the schema of the index searched or written, a cursor, the clock, the filter grammar. This check keeps that
allowance narrow: such a 400 must carry one of the codes for those reasons. A 400 with another code (INVALID_REQUEST
for a wrong type or an unknown key, INVALID_JSON, INVALID_INDEX_NAME, INVALID_DOCUMENT_ID...) to a request the
OpenAPI document calls valid means the document and the validation disagree, and fails the run.
"""

import schemathesis

# Refusals whose reason the document cannot state (see docs/errors.md for each code).
DATA_DEPENDENT_CODES = {
    "INVALID_FILTER",  # filter grammar, fields of the index
    "INVALID_SORT",  # fields of the index
    "INVALID_FACET",  # fields of the index
    "INVALID_FIELD",  # fields of the index
    "INVALID_CURSOR",  # a cursor is only valid for the query that issued it
    "INVALID_QUERY",  # MAX_QUERY_TERMS and MAX_QUERY_LENGTH are settings
    "WINDOW_TOO_LARGE",  # page x size against MAX_RESULT_WINDOW, a setting
    "INVALID_SCHEMA",  # rules between the fields of an index schema
    "INVALID_SETTINGS",  # relevance settings against the fields of the index, and between two word sizes
    "INVALID_DOCUMENT",  # a document against the schema of its index
    "INVALID_CURATION",  # a rule's filter against the fields of the index, pins and hides against each other
}

# Refusals with a broader code that depend on data too, by the words the code gives them.
DATA_DEPENDENT_MESSAGES = {
    "INVALID_REQUEST": (
        "must be in the future",  # a key expiry, against the clock
        "use either page or cursor",  # a cursor with a page other than 1: parameters the document lists one by one
        "has no suggest field",  # suggestions from an index whose schema has none
        # k, vector_field and hybrid without a vector: whether q alone can stand for one depends on an embedder on
        # the index's vector field; the document states the rule in each parameter's description.
        "needs a vector",
        "hybrid needs q",  # hybrid fuses text and vector results: a blank q has no text side
    ),
    # Prototype poisoning, refused at any depth of any JSON body before validation; JSON Schema cannot forbid a key
    # at every depth of the free-form objects (documents, filter trees) the document allows.
    "INVALID_JSON": ('"__proto__" key', '"constructor.prototype" key'),
}


@schemathesis.check
def positive_refusals_depend_on_data(ctx, response, case):
    """A 400 to valid data carries a code for a reason that depends on data, never a shape error."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    try:
        error = response.json()["error"]
        code, message = error["code"], error["message"]
    except Exception as exc:  # the envelope itself is response_schema_conformance's to check
        raise AssertionError(f"a 400 without Sift's error envelope: {response.text[:200]}") from exc
    if code in DATA_DEPENDENT_CODES:
        return None
    if any(words in message for words in DATA_DEPENDENT_MESSAGES.get(code, ())):
        return None
    raise AssertionError(
        f"valid data according to the OpenAPI document was refused with {code}: {message}\n"
        "The document and the request validation disagree: state the constraint in the route schema."
    )
