"""The Python `requests` snippets of the RingPlan API document for texting (seeds/003: Texting -
Conversations, - Messages, - Contacts, - Numbers), run as the document writes them, with the
document's example ids replaced by ours. Where the document's own code cannot run, what was
changed is said next to it:

- two snippets have a typo that is a Python syntax error (an unclosed quote, a backtick for a
  quote): the quote is fixed;
- a snippet that prints `request.json()` of a 204 answer fails in any client (a 204 has no
  body): it runs without that last line, and the 204 and its empty body are checked;
- "Delete two specific messages" builds `query` but does not send it: run as written it is a
  400 that names `ids`; sent with `params = query` it deletes them.
"""

import time

import pytest
import requests

from test_ringplan_seeds import run

OURS = "1235551234"  # the document's from_number
THEIRS = "3215551234"  # the document's number whose owners are set

GET_CONVERSATIONS = """
request = requests.get(API_URL + '/texting/conversations', headers = headers)
print(request.json())
"""  # the document: `'/texting/conversations, headers = headers)` (unclosed quote)

SEARCH_CONVERSATIONS = """
query = {
'text': 'Development Talks'
}
request = requests.get(API_URL + '/texting/conversations/search', headers = headers, params = query)
print(request.json())
"""

CREATE_CONVERSATION = """
body = {
'contact_id': '615717df4b8fa06267cd2f6f',
'from_number': '1235551234'
}
request = requests.post(API_URL + '/texting/conversations', headers = headers, json = body)
print(request.json())
"""

DELETE_CONVERSATION = """
conversation_id = '616566b94b8fa0626751ef96'
request = requests.delete(API_URL + '/texting/conversations/' + conversation_id, headers = headers)
print(request.json())
"""  # the document: `'/texting/conversations/` + conversation_id` (a backtick)

GET_THIRD_PAGE = """
conversation_id = '616566b94b8fa0626751ef96'
query = {
'page': 3
}
request = requests.get(API_URL + '/texting/conversations/' + conversation_id + '/messages', \\
headers = headers, params = query)
print(request.json())
"""

MARK_READ = """
body = {
'is_read': True
}
conversation_id = '615717df4b8fa06267cd2f73'
message_id = '615717dfaea77fef6ace1bbf'
request = requests.patch(API_URL + '/texting/conversations/' + conversation_id + '/messages/' + message_id, \\
headers = headers, json = body)
print(request.json())
"""

PUBLISH = """
conversation_id = '615717df4b8fa06267cd2f73'
body = {
'text': 'Hello world!'
}
request = requests.post(API_URL + '/texting/conversations/' + conversation_id + '/messages/publish', \\
headers = headers, json = body)
print(request.json())
"""

GET_LATEST_TEN = """
query = {
'per_page': 10,
'page': 1
}
conversation_id = '615717df4b8fa06267cd2f73'
request = requests.get(API_URL + '/texting/conversations/' + conversation_id + '/messages', \\
headers = headers, params = query)
print(request.json())
"""

DELETE_MESSAGES = """
query = {
'ids': ['61656c90730737f190ed288a', '615717dfaea77fef6ace1bbf']
}
conversation_id = '615717df4b8fa06267cd2f73'
request = requests.delete(API_URL + '/texting/conversations/' + conversation_id + '/messages', \\
headers = headers)
print(request.json())
"""

CREATE_CONTACT = """
body = {
'number': '+12340009999'
}
request = requests.post(API_URL + '/texting/contacts', headers = headers, json = body)
print(request.json())
"""

FIND_JANE = """
query = {
'search': 'Jane'
}
request = requests.get(API_URL + '/texting/contacts', headers = headers, params = query)
print(request.json())
"""

GET_CONTACT = """
texting_contact_id = '61254ea54b8fa062670a3fb1'
request = requests.get(API_URL + '/texting/contacts/' + texting_contact_id, headers = headers)
print(request.json())
"""

REPLACE_CONTACT = """
texting_contact_id = '61254ea54b8fa062670a3fb1'
body = {
'number': '11235554321'
}
request = requests.put(API_URL + '/texting/contacts/' + texting_contact_id, \\
headers = headers, json = body)
print(request.json())
"""

GET_NUMBERS = """
query = {
'numformat': 'international'
}
request = requests.get(API_URL + '/texting/numbers', headers = headers, params = query)
print(request.json())
"""

SET_OWNERS = """
number = '3215551234'
body = ['janedoe@example.com', 'johnsmith@example.com']
request = requests.put(API_URL + '/texting/numbers/' + number, headers = headers, json = body)
print(request.json())
"""


@pytest.fixture(scope="module")
def numbers(server):
    """The document's two numbers on the server, with the loopback carrier (added once)."""
    for number in (OURS, THEIRS):
        res = requests.post(
            server.url + "/v1/texting/numbers",
            headers=server.headers(),
            json={"number": number, "carrier": "loopback", "rate_per_minute": 6000},
        )
        assert res.status_code in (201, 409), res.text
    return server


def contact(server, number, **names):
    res = requests.post(server.url + "/texting/contacts", headers=server.headers(), json={"number": number, **names})
    assert res.status_code in (200, 201), res.text
    return res.json()["id"]


def conversation(server, frm, to):
    body = {"recipients": [{"number": to}], "from_number": frm, "conversation_type": "direct"}
    res = requests.post(server.url + "/texting/v2/conversations", headers=server.headers(), json=body)
    assert res.status_code in (200, 201), res.text
    return res.json()["id"]


def run_bodiless(server, snippet, ids):
    """Runs a snippet whose answer is a 204 without its last line, the print of the answer's
    JSON, which a 204 (no body) cannot have."""
    code, printed = snippet.rstrip().rsplit("\n", 1)
    assert printed == "print(request.json())"
    request = run(server, code + "\n", ids=ids)
    assert request.status_code == 204
    assert request.content == b""
    with pytest.raises(requests.exceptions.JSONDecodeError):
        request.json()


def arrived(server, number, contact_number):
    """The id of `number`'s conversation with `contact_number`, once a first text made it."""
    deadline = time.monotonic() + 30
    while True:
        res = requests.get(server.url + "/texting/conversations", headers=server.headers(), params={"per_page": 1000})
        for c in res.json():
            if c["from_number"] == "+1" + number and c["contactinfo"]["number"] == contact_number:
                return c["id"]
        assert time.monotonic() < deadline, "the text did not arrive in 30 s"
        time.sleep(0.05)


def inbound(server, conversation_id, count):
    """The messages of a conversation once `count` have arrived (loopback delivers in a job)."""
    deadline = time.monotonic() + 30
    while True:
        res = requests.get(f"{server.url}/texting/conversations/{conversation_id}/messages", headers=server.headers())
        if len(res.json()) >= count:
            return res.json()
        assert time.monotonic() < deadline, "the messages did not arrive in 30 s"
        time.sleep(0.05)


def test_create_a_conversation_then_find_it_again(numbers):
    cid = contact(numbers, "+12345550001")
    request = run(numbers, CREATE_CONVERSATION, ids={"615717df4b8fa06267cd2f6f": cid})
    assert request.status_code == 201
    body = request.json()
    assert (body["contact_id"], body["from_number"]) == (cid, "+11235551234")
    again = run(numbers, CREATE_CONVERSATION, ids={"615717df4b8fa06267cd2f6f": cid})
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]


def test_get_conversations_with_the_paging_headers(numbers):
    conversation(numbers, OURS, "+12345550002")
    request = run(numbers, GET_CONVERSATIONS)
    assert request.status_code == 200
    assert len(request.json()) >= 1
    for h in ("Total-Count", "Page-Count", "Current-Page", "Per-Page"):
        assert request.headers["X-Pagination-" + h].isdigit()


def test_publish_then_read_the_latest_ten_and_mark_the_answer_read(numbers):
    ours = conversation(numbers, OURS, THEIRS)
    request = run(numbers, PUBLISH, ids={"615717df4b8fa06267cd2f73": ours})
    assert request.status_code == 201
    sent = request.json()
    assert (sent["text"], sent["direction"], sent["frm"], sent["to"]) == ("Hello world!", "outbound", "+11235551234", "+13215551234")

    theirs = arrived(numbers, THEIRS, "+11235551234")
    received = inbound(numbers, theirs, 1)[0]
    assert (received["text"], received["direction"], received["is_read"]) == ("Hello world!", "inbound", False)
    request = run(numbers, GET_LATEST_TEN, ids={"615717df4b8fa06267cd2f73": theirs})
    assert request.status_code == 200
    assert request.headers["X-Pagination-Per-Page"] == "10"
    assert request.json()[0]["id"] == received["id"]

    request = run(numbers, MARK_READ, ids={"615717df4b8fa06267cd2f73": theirs, "615717dfaea77fef6ace1bbf": received["id"]})
    assert request.status_code == 200
    assert request.json()["is_read"] is True


def test_search_finds_the_conversation_by_the_words_of_its_messages(numbers):
    ours = conversation(numbers, OURS, "+12345550003")
    res = requests.post(f"{numbers.url}/texting/conversations/{ours}/messages/publish", headers=numbers.headers(), json={"text": "Agenda of the Development Talks"})
    assert res.status_code == 201
    request = run(numbers, SEARCH_CONVERSATIONS)
    assert request.status_code == 200
    assert ours in [c["id"] for c in request.json()]


def test_the_third_page_of_a_short_conversation_is_empty(numbers):
    ours = conversation(numbers, OURS, "+12345550004")
    request = run(numbers, GET_THIRD_PAGE, ids={"616566b94b8fa0626751ef96": ours})
    assert request.status_code == 200
    assert request.json() == []
    assert request.headers["X-Pagination-Current-Page"] == "3"


def test_delete_two_messages_as_written_is_a_400_and_with_the_query_sent_a_204(numbers):
    ours = conversation(numbers, OURS, "+12345550005")
    url = f"{numbers.url}/texting/conversations/{ours}/messages/publish"
    ids = [requests.post(url, headers=numbers.headers(), json={"text": t}).json()["id"] for t in ("one", "two")]
    ids_map = {"615717df4b8fa06267cd2f73": ours, "61656c90730737f190ed288a": ids[0], "615717dfaea77fef6ace1bbf": ids[1]}
    request = run(numbers, DELETE_MESSAGES, ids=ids_map)
    assert request.status_code == 400
    assert "'ids'" in request.json()["detail"]
    run_bodiless(numbers, DELETE_MESSAGES.replace("headers = headers)", "headers = headers, params = query)"), ids_map)
    res = requests.get(f"{numbers.url}/texting/conversations/{ours}/messages", headers=numbers.headers())
    assert res.json() == []


def test_delete_a_conversation(numbers):
    ours = conversation(numbers, OURS, "+12345550006")
    run_bodiless(numbers, DELETE_CONVERSATION, {"616566b94b8fa0626751ef96": ours})
    again = run(numbers, DELETE_CONVERSATION, ids={"616566b94b8fa0626751ef96": ours})
    assert again.status_code == 404
    assert set(again.json()) == {"detail", "status", "title", "type"}


def test_create_find_get_and_replace_a_texting_contact(numbers):
    request = run(numbers, CREATE_CONTACT)
    assert request.status_code in (200, 201)
    created = request.json()
    assert created["number"] == "+12340009999"
    assert run(numbers, CREATE_CONTACT).status_code == 200

    jane = contact(numbers, "+12345550007", first_name="Jane")
    request = run(numbers, FIND_JANE)
    assert request.status_code == 200
    assert jane in [c["id"] for c in request.json()]

    request = run(numbers, GET_CONTACT, ids={"61254ea54b8fa062670a3fb1": jane})
    assert request.status_code == 200
    assert request.json()["first_name"] == "Jane"
    request = run(numbers, REPLACE_CONTACT, ids={"61254ea54b8fa062670a3fb1": jane})
    assert request.status_code == 200
    assert request.json()["number"] == "+11235554321"


def test_get_numbers_internationally_and_set_their_owners(numbers):
    request = run(numbers, GET_NUMBERS)
    assert request.status_code == 200
    # 123 is no area code: libphonenumber writes such a number without grouping its digits.
    assert {"+1 1235551234", "+1 321-555-1234"} <= {n["number"] for n in request.json()}
    request = run(numbers, SET_OWNERS)
    assert request.status_code == 200
    assert request.json()["ownership"] == ["janedoe@example.com", "johnsmith@example.com"]
