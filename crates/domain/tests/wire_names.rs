//! Enums stored as text and written in event payloads spell each value twice (`as_str` for the
//! store, serde for payloads): the two must agree, or a value would read back as another.

use serde::Serialize;
use switchboard_domain::conversation::{ContentKind, Direction, ExportStatus};
use switchboard_domain::source::SourceKind;
use switchboard_domain::user::Role;
use switchboard_domain::webhook::{EndpointStatus, WebhookFormat};

fn serde_name<T: Serialize>(v: T) -> String {
    serde_json::to_value(v).unwrap().as_str().unwrap().to_owned()
}

#[test]
fn stored_names_and_payload_names_agree() {
    for k in [ContentKind::Message, ContentKind::PrivateMessage, ContentKind::ThreadOpener] {
        assert_eq!(serde_name(k), k.as_str());
        assert_eq!(ContentKind::parse(k.as_str()).unwrap(), k);
    }
    for d in [Direction::Inbound, Direction::Outbound] {
        assert_eq!(serde_name(d), d.as_str());
    }
    for r in [Role::Primary, Role::Admin, Role::Supervisor, Role::Agent] {
        assert_eq!(serde_name(r), r.as_str());
    }
    for s in [EndpointStatus::Active, EndpointStatus::Disabled] {
        assert_eq!(serde_name(s), s.as_str());
    }
    for f in [WebhookFormat::EngageDigital, WebhookFormat::RingPlan, WebhookFormat::Native] {
        assert_eq!(serde_name(f), f.as_str());
        assert_eq!(WebhookFormat::parse(f.as_str()).unwrap(), f);
    }
    assert_eq!(serde_name(SourceKind::Sdk), SourceKind::Sdk.as_str());
    for e in [ExportStatus::Pending, ExportStatus::Exported, ExportStatus::Failed] {
        assert_eq!(ExportStatus::parse(e.as_str()).unwrap(), e);
    }
}
