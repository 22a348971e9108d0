"""The Python `requests` snippets of the RingPlan API document (seeds/003: Company, Users,
Locations), run as the document writes them. Only API_URL, the key, the acting user and the
example ids are substituted; then the answers are checked."""

import requests

# "Constant values for examples", verbatim.
CONSTANTS = """
import requests
API_URL = 'https://ssp-backend.ringplan.com'
API_KEY = 'secret string'
USER_ID = 'id of acting user'
headers = {
'Accept': 'application/json',
'Authorization': 'Bearer ' + API_KEY,
'X-User-Id': USER_ID
}
"""

GET_COMPANY = """
request = requests.get(API_URL + '/system/company', headers = headers)
print(request.json())
"""

UPDATE_COMPANY = """
headers['X-User-Id'] = 'primary'
body = {
'name': 'New Company',
'email': 'new@example.net'
}
request = requests.patch(API_URL + '/company', headers = headers, json = body)
print(request.json())
"""

GET_USERS = """
query = {
'work_email': 'sales@example.com'
}
request = requests.get(API_URL + '/system/company/contacts', headers = headers, params = query)
print(request.json())
"""

ADD_USER = """
headers['X-User-Id'] = 'primary'
body = {
'first_name': 'Jane',
'contacts': {
'email': 'janedoe@example.com'
}
}
request = requests.post(API_URL + '/company/contacts', headers = headers, json = body)
print(request.json())
"""

UPDATE_USER = """
contact_id = '60190ce750fe88ed1a544a7a'
headers['X-User-Id'] = contact_id
body = {
'emergency_contact_number': '15554441234',
'last_name': 'Smith'
}
request = requests.patch(API_URL + '/company/contacts/' + contact_id, headers = headers, json = body)
print(request.json())
"""

DELETE_USER = """
contact_id = '60190ce750fe88ed1a544a7a'
headers['X-User-Id'] = 'primary'
request = requests.delete(API_URL + '/company/contacts/' + contact_id, headers = headers)
print(request.json())
"""

GET_LOCATIONS = """
request = requests.get(API_URL + '/company/locations', headers = headers)
print(request.json())
"""

ADD_LOCATION = """
body = {
'name': 'Second Location',
'country': 'United States',
'state': 'California',
'city': 'Carlsbad',
'zip': '92008',
'company_id': '611ced1255c44a89f8df7cc0'
}
headers['X-User-Id'] = 'primary'
request = requests.post(API_URL + '/company/locations', headers = headers, json = body)
print(request.json())
"""

UPDATE_LOCATION = """
location_id = '61254e7ecbe793d0e26c7996'
headers['X-User-Id'] = 'primary'
body = {
'name': 'Old Location'
}
request = requests.patch(API_URL + '/company/locations/' + location_id, \\
headers = headers, json = body)
print(request.json())
"""

DELETE_LOCATION = """
location_id = '61254e7ecbe793d0e26c7996'
headers['X-User-Id'] = 'primary'
request = requests.delete(API_URL + '/company/locations/' + location_id, headers = headers)
print(request.json())
"""

DOC_CONTACT_ID = "60190ce750fe88ed1a544a7a"
DOC_LOCATION_ID = "61254e7ecbe793d0e26c7996"
DOC_COMPANY_ID = "611ced1255c44a89f8df7cc0"


def run(server, snippet, user="primary", ids=None):
    """Runs the constants and then `snippet`, with the document's values replaced by ours."""
    consts = (
        CONSTANTS.replace("'https://ssp-backend.ringplan.com'", repr(server.url))
        .replace("'secret string'", repr(server.api_key))
        .replace("'id of acting user'", repr(user))
    )
    code = snippet
    for doc_id, ours in (ids or {}).items():
        code = code.replace(doc_id, ours)
    namespace = {}
    exec(consts, namespace)
    exec(code, namespace)
    return namespace["request"]


def add_user(server, first_name, email):
    res = requests.post(server.url + "/company/contacts", headers=server.headers(), json={"first_name": first_name, "contacts": {"email": email}})
    assert res.status_code == 201, res.text
    return res.json()["id"]


def add_location(server, name):
    res = requests.post(server.url + "/company/locations", headers=server.headers(), json={"name": name})
    assert res.status_code == 201, res.text
    return res.json()["id"]


def test_get_company_information(server):
    request = run(server, GET_COMPANY)
    assert request.status_code == 200
    assert request.json()["id"] == server.company_id


def test_update_company(server):
    request = run(server, UPDATE_COMPANY)
    assert request.status_code == 200
    body = request.json()
    assert (body["name"], body["email"]) == ("New Company", "new@example.net")
    assert run(server, GET_COMPANY).json()["name"] == "New Company"


def test_update_company_by_a_non_owner_is_forbidden(server):
    user = add_user(server, "Nora", "nora@example.com")
    res = requests.patch(server.url + "/company", headers=server.headers(user), json={"name": "Nope"})
    assert res.status_code == 403
    assert res.json()["status"] == 403


def test_get_users_in_company_with_work_email(server):
    sales = add_user(server, "Sam", "sales@example.com")
    request = run(server, GET_USERS)
    assert request.status_code == 200
    assert [c["id"] for c in request.json()] == [sales]
    assert request.headers["X-Pagination-Total-Count"] == "1"
    assert request.headers["X-Pagination-Page-Count"] == "1"
    assert request.headers["X-Pagination-Current-Page"] == "1"
    assert request.headers["X-Pagination-Per-Page"].isdigit()


def test_get_users_with_no_match_is_204_and_bad_parameters_400(server):
    res = requests.get(server.url + "/system/company/contacts", headers=server.headers(), params={"work_email": "nobody@example.com"})
    assert res.status_code == 204
    for params in ({"page": 0}, {"page": "abc"}, {"items_per_page": 0}):
        res = requests.get(server.url + "/system/company/contacts", headers=server.headers(), params=params)
        assert res.status_code == 400
        assert set(res.json()) == {"detail", "status", "title", "type"}


def test_add_user_to_company(server):
    request = run(server, ADD_USER)
    assert request.status_code == 201
    body = request.json()
    assert body["first_name"] == "Jane"
    assert body["contacts"]["email"] == "janedoe@example.com"
    assert body["company_id"] == server.company_id
    # The same email again conflicts with the stored contact (409), which no schema can foresee.
    duplicate = run(server, ADD_USER)
    assert duplicate.status_code == 409


def test_update_user_as_themself(server):
    contact = add_user(server, "Uma", "uma@example.com")
    request = run(server, UPDATE_USER, ids={DOC_CONTACT_ID: contact})
    assert request.status_code == 200
    body = request.json()
    assert (body["last_name"], body["emergency_contact_number"], body["first_name"]) == ("Smith", "15554441234", "Uma")


def test_delete_user(server):
    contact = add_user(server, "Dee", "dee@example.com")
    request = run(server, DELETE_USER, ids={DOC_CONTACT_ID: contact})
    assert request.status_code == 200
    assert request.json()["id"] == contact
    again = run(server, DELETE_USER, ids={DOC_CONTACT_ID: contact})
    assert again.status_code == 404
    assert again.json()["title"] == "Not Found"


def test_get_company_locations(server):
    request = run(server, GET_LOCATIONS)
    assert request.status_code == 200
    assert "Main location" in [loc["name"] for loc in request.json()]


def test_add_location_to_company(server):
    request = run(server, ADD_LOCATION, ids={DOC_COMPANY_ID: server.company_id})
    assert request.status_code == 201
    body = request.json()
    assert (body["name"], body["city"], body["zip"], body["company_id"]) == ("Second Location", "Carlsbad", "92008", server.company_id)


def test_update_company_location(server):
    location = add_location(server, "To Rename")
    request = run(server, UPDATE_LOCATION, ids={DOC_LOCATION_ID: location})
    assert request.status_code == 200
    assert request.json()["name"] == "Old Location"


def test_delete_location(server):
    location = add_location(server, "To Delete")
    request = run(server, DELETE_LOCATION, ids={DOC_LOCATION_ID: location})
    assert request.status_code == 200
    assert request.json()["id"] == location
    assert location not in [loc["id"] for loc in run(server, GET_LOCATIONS).json()]


def test_every_call_without_a_valid_key_is_401(server):
    request = run(server, GET_COMPANY, user="primary")
    assert request.status_code == 200
    res = requests.get(server.url + "/system/company", headers={"Authorization": "Bearer wrong", "X-User-Id": "primary"})
    assert res.status_code == 401
    assert set(res.json()) == {"detail", "status", "title", "type"}
