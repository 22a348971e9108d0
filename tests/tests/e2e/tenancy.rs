//! Two companies on one server: every endpoint, tried with the other company's ids, answers
//! 404 (or 401 for credentials) and neither leaks nor changes the other company's data.

use super::*;
use switchboard_tests::Tenant;

struct Two {
    other: Tenant,
    other_user: String,
}

async fn setup(app: &TestApp) -> Two {
    let other = app.create_company("Other Corp", "owner@other.example").await;
    let other_user = app.add_user(&other, "Olga", "olga@other.example").await;
    app.add_user(&app.company, "Amy", "amy@example.com").await;
    Two { other, other_user }
}

async fn other_contacts(app: &TestApp, t: &Two) -> Vec<Value> {
    app.ringplan(Method::GET, "/system/company/contacts", &t.other.primary())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

e2e! {
    async fn each_company_sees_only_itself(app: &TestApp) {
        let t = setup(app).await;
        let mine: Value = app.ringplan(Method::GET, "/system/company", &app.company.primary()).send().await.unwrap().json().await.unwrap();
        let theirs: Value = app.ringplan(Method::GET, "/system/company", &t.other.primary()).send().await.unwrap().json().await.unwrap();
        assert_eq!(mine["id"], app.company.id.as_str());
        assert_eq!(theirs["id"], t.other.id.as_str());
        assert_eq!(theirs["name"], "Other Corp");
    }

    async fn patching_the_company_changes_only_the_callers_company(app: &TestApp) {
        let t = setup(app).await;
        app.ringplan(Method::PATCH, "/company", &app.company.primary()).json(&json!({"name": "Mine", "id": t.other.id})).send().await.unwrap();
        let theirs: Value = app.ringplan(Method::GET, "/system/company", &t.other.primary()).send().await.unwrap().json().await.unwrap();
        assert_eq!(theirs["name"], "Other Corp");
    }

    async fn contacts_of_another_company_are_not_visible(app: &TestApp) {
        let t = setup(app).await;
        let mine: Vec<Value> = app.ringplan(Method::GET, "/system/company/contacts", &app.company.primary()).send().await.unwrap().json().await.unwrap();
        assert!(mine.iter().all(|c| c["company_id"] == app.company.id.as_str()));
        assert!(!mine.iter().any(|c| c["id"] == t.other_user.as_str()));
        let res = app.ringplan(Method::GET, "/system/company/contacts?work_email=olga@other.example", &app.company.primary()).send().await.unwrap();
        assert_eq!(res.status(), 204);
        let res = app.ringplan(Method::GET, "/system/company/contacts?first_name=Olga", &app.company.primary()).send().await.unwrap();
        assert_eq!(res.status(), 204);
    }

    async fn the_same_email_may_exist_in_two_companies(app: &TestApp) {
        let t = setup(app).await;
        let res = app.ringplan(Method::POST, "/company/contacts", &app.company.primary()).json(&json!({"first_name": "Olga", "contacts": {"email": "olga@other.example"}})).send().await.unwrap();
        assert_eq!(res.status(), 201);
        assert_eq!(other_contacts(app, &t).await.len(), 2);
    }

    async fn a_contact_of_another_company_cannot_be_patched(app: &TestApp) {
        let t = setup(app).await;
        let before = other_contacts(app, &t).await;
        let res = app.ringplan(Method::PATCH, &format!("/company/contacts/{}", t.other_user), &app.company.primary()).json(&json!({"last_name": "Pwned"})).send().await.unwrap();
        assert_problem(res, 404, "contact").await;
        let res = app.ringplan(Method::PATCH, &format!("/company/contacts/{}", t.other.primary_user_id), &app.company.primary()).json(&json!({"last_name": "Pwned"})).send().await.unwrap();
        assert_problem(res, 404, "contact").await;
        assert_eq!(other_contacts(app, &t).await, before);
    }

    async fn a_contact_of_another_company_cannot_be_deleted(app: &TestApp) {
        let t = setup(app).await;
        let res = app.ringplan(Method::DELETE, &format!("/company/contacts/{}", t.other_user), &app.company.primary()).send().await.unwrap();
        assert_problem(res, 404, "contact").await;
        assert_eq!(other_contacts(app, &t).await.len(), 2);
    }

    async fn locations_of_another_company_are_invisible_and_untouchable(app: &TestApp) {
        let t = setup(app).await;
        let mine: Vec<Value> = app.ringplan(Method::GET, "/company/locations", &app.company.primary()).send().await.unwrap().json().await.unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0]["id"], app.company.main_location_id.as_str());
        let second: Value = app.ringplan(Method::POST, "/company/locations", &t.other.primary()).json(&json!({"name": "Theirs"})).send().await.unwrap().json().await.unwrap();
        for id in [t.other.main_location_id.clone(), second["id"].as_str().unwrap().to_owned()] {
            let path = format!("/company/locations/{id}");
            assert_problem(app.ringplan(Method::PATCH, &path, &app.company.primary()).json(&json!({"name": "Pwned"})).send().await.unwrap(), 404, "location").await;
            assert_problem(app.ringplan(Method::DELETE, &path, &app.company.primary()).send().await.unwrap(), 404, "location").await;
        }
        let theirs: Vec<Value> = app.ringplan(Method::GET, "/company/locations", &t.other.primary()).send().await.unwrap().json().await.unwrap();
        assert_eq!(theirs.iter().map(|l| l["name"].as_str().unwrap()).collect::<Vec<_>>(), vec!["Main location", "Theirs"]);
    }

    async fn one_companys_key_with_another_companys_user_is_unauthorized_everywhere(app: &TestApp) {
        let t = setup(app).await;
        let mixed = app.company.as_user(&t.other_user);
        let requests = [
            (Method::GET, "/system/company".to_owned()),
            (Method::PATCH, "/company".to_owned()),
            (Method::GET, "/system/company/contacts".to_owned()),
            (Method::POST, "/company/contacts".to_owned()),
            (Method::PATCH, format!("/company/contacts/{}", t.other_user)),
            (Method::DELETE, format!("/company/contacts/{}", t.other_user)),
            (Method::GET, "/company/locations".to_owned()),
            (Method::POST, "/company/locations".to_owned()),
            (Method::PATCH, format!("/company/locations/{}", t.other.main_location_id)),
            (Method::DELETE, format!("/company/locations/{}", t.other.main_location_id)),
        ];
        for (method, path) in requests {
            let res = app.ringplan(method.clone(), &path, &mixed).json(&json!({"name": "x"})).send().await.unwrap();
            assert_eq!(res.status(), 401, "{method} {path}");
        }
        assert_eq!(other_contacts(app, &t).await.len(), 2);
    }
}
