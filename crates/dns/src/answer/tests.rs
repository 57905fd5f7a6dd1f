use std::collections::BTreeSet;
use std::net::{Ipv4Addr, Ipv6Addr};

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RecordType};
use proptest::prelude::*;

use super::*;
use crate::zones::{
    InstanceRecords, RecordKind, RecordSpec, Routing, ServiceRecords, Zone, ZoneSet,
};

fn instance(
    id: &str,
    ipv4: Option<Ipv4Addr>,
    ipv6: Option<Ipv6Addr>,
    port: Option<u16>,
) -> InstanceRecords {
    InstanceRecords {
        id: id.into(),
        ipv4,
        ipv6,
        port,
        cname: None,
    }
}

fn v4(last: u8) -> Option<Ipv4Addr> {
    Some(Ipv4Addr::new(10, 0, 0, last))
}

fn v6(last: u16) -> Option<Ipv6Addr> {
    Some(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, last))
}

fn service(
    name: &str,
    routing: Routing,
    records: &[(RecordKind, u32)],
    instances: Vec<InstanceRecords>,
) -> ServiceRecords {
    ServiceRecords {
        name: name.into(),
        routing,
        records: records
            .iter()
            .map(|&(kind, ttl)| RecordSpec { kind, ttl })
            .collect(),
        instances,
    }
}

/// The zone `internal` (SOA TTL 15) with one service per behaviour.
fn zones() -> ZoneSet {
    use RecordKind::*;
    use Routing::*;
    let three = (1..=3)
        .map(|i| instance(&format!("i-{i}"), v4(i), None, None))
        .collect();
    let twenty = (1..=20)
        .map(|i| instance(&format!("i-{i}"), v4(i), None, None))
        .collect();
    let five = (1..=5)
        .map(|i| instance(&format!("i-{i}"), v4(i), None, None))
        .collect();
    let ipv6 = (1..=2)
        .map(|i| instance(&format!("i-{i}"), None, v6(i), None))
        .collect();
    let srv = vec![
        instance("Task_1", v4(1), v6(1), Some(8080)),
        instance("task-2", v4(2), None, Some(8081)),
    ];
    // Eight SRV answers with 63-character targets: over 512 bytes alone.
    let long = (1..=8)
        .map(|i| {
            instance(
                &format!("{i}{}", "x".repeat(70)),
                v4(i as u8),
                v6(i),
                Some(443),
            )
        })
        .collect();
    // Eight short SRV answers fit; with their A and AAAA additionals they do not.
    let wide = (1..=8)
        .map(|i| instance(&format!("t{i}"), v4(i), v6(u16::from(i)), Some(80)))
        .collect();
    let mut alias = instance("db", None, None, None);
    alias.cname = Some("DB.Example.com".into());
    let mut set = ZoneSet::new();
    set.add_zone(Zone {
        apex: "Internal.".into(),
        soa_ttl: 15,
        services: vec![
            service("api", Multivalue, &[(A, 60)], three),
            service("many", Multivalue, &[(A, 60)], twenty),
            service("one", Weighted, &[(A, 30)], five),
            service("six", Multivalue, &[(Aaaa, 45)], ipv6),
            service("srv", Multivalue, &[(Srv, 20), (A, 25)], srv),
            service("long", Multivalue, &[(Srv, 20)], long),
            service("wide", Multivalue, &[(Srv, 20), (A, 25), (Aaaa, 25)], wide),
            service("alias", Weighted, &[(Cname, 300)], vec![alias]),
            service("empty", Multivalue, &[(A, 60)], vec![]),
            service(
                "api.v1",
                Multivalue,
                &[(A, 60)],
                vec![instance("i-1", v4(9), None, None)],
            ),
        ],
    });
    set
}

fn name(text: &str) -> Name {
    Name::from_ascii(text).unwrap()
}

fn query_message(text: &str, kind: RecordType) -> Message {
    let mut message = Message::new();
    message
        .set_id(0x5151)
        .set_recursion_desired(true)
        .add_query(Query::query(name(text), kind));
    message
}

fn query(text: &str, kind: RecordType) -> Vec<u8> {
    query_message(text, kind).to_vec().unwrap()
}

fn with_edns(text: &str, kind: RecordType, payload: u16) -> Vec<u8> {
    let mut message = query_message(text, kind);
    let mut edns = Edns::new();
    edns.set_max_payload(payload);
    message.set_edns(edns);
    message.to_vec().unwrap()
}

fn ask_with(zones: &ZoneSet, bytes: &[u8], max_udp: Option<usize>, seed: u64) -> (Message, usize) {
    match answer(zones, bytes, max_udp, &mut fastrand::Rng::with_seed(seed)) {
        Outcome::Reply(reply) => (Message::from_vec(&reply).unwrap(), reply.len()),
        other => panic!("expected a reply, got {other:?}"),
    }
}

fn ask(zones: &ZoneSet, text: &str, kind: RecordType) -> Message {
    ask_with(zones, &query(text, kind), Some(MAX_UDP_PAYLOAD), 1).0
}

fn ipv4s(reply: &Message) -> Vec<Ipv4Addr> {
    reply
        .answers()
        .iter()
        .filter_map(|r| r.data().as_a())
        .map(|a| a.0)
        .collect()
}

fn assert_negative(reply: &Message, code: ResponseCode) {
    assert_eq!(reply.response_code(), code);
    assert!(reply.authoritative());
    assert!(reply.answers().is_empty());
    assert_eq!(reply.name_servers().len(), 1);
    let soa = &reply.name_servers()[0];
    assert_eq!(soa.name(), &name("internal."));
    assert_eq!(soa.ttl(), 15);
    assert_eq!(soa.data().as_soa().unwrap().minimum(), 15);
}

#[test]
fn multivalue_with_three_instances_answers_all_three() {
    let reply = ask(&zones(), "api.internal.", RecordType::A);
    assert_eq!(reply.id(), 0x5151);
    assert_eq!(reply.message_type(), MessageType::Response);
    assert_eq!(reply.response_code(), ResponseCode::NoError);
    assert!(reply.authoritative());
    assert!(reply.recursion_desired());
    assert_eq!(
        reply.queries(),
        query_message("api.internal.", RecordType::A).queries()
    );
    let got: BTreeSet<_> = ipv4s(&reply).into_iter().collect();
    assert_eq!(got, (1..=3).map(|i| v4(i).unwrap()).collect());
    assert!(reply
        .answers()
        .iter()
        .all(|r| r.ttl() == 60 && r.name() == &name("api.internal.")));
    assert!(reply.name_servers().is_empty());
}

#[test]
fn multivalue_with_twenty_instances_answers_eight_distinct_varying() {
    let zones = zones();
    let mut seen = BTreeSet::new();
    let mut answers = BTreeSet::new();
    for seed in 0..20 {
        let (reply, _) = ask_with(
            &zones,
            &query("many.internal.", RecordType::A),
            Some(512),
            seed,
        );
        let ips = ipv4s(&reply);
        assert_eq!(ips.len(), 8);
        let distinct: BTreeSet<_> = ips.iter().copied().collect();
        assert_eq!(distinct.len(), 8);
        seen.extend(distinct.iter().copied());
        answers.insert(ips);
    }
    assert!(answers.len() > 10, "answers vary across queries");
    assert!(seen.len() > 8, "more than eight instances get answered");
}

#[test]
fn multivalue_order_is_random() {
    let zones = zones();
    let orders: BTreeSet<_> = (0..20)
        .map(|seed| ipv4s(&ask_with(&zones, &query("api.internal.", RecordType::A), None, seed).0))
        .collect();
    assert!(orders.len() > 1);
}

#[test]
fn weighted_answers_one_instance_at_random() {
    let zones = zones();
    let mut seen = BTreeSet::new();
    for seed in 0..30 {
        let (reply, _) = ask_with(
            &zones,
            &query("one.internal.", RecordType::A),
            Some(512),
            seed,
        );
        let ips = ipv4s(&reply);
        assert_eq!(ips.len(), 1);
        assert_eq!(reply.answers()[0].ttl(), 30);
        seen.insert(ips[0]);
    }
    assert!(seen.len() > 1);
}

#[test]
fn aaaa_answers_the_ipv6_addresses() {
    let reply = ask(&zones(), "six.internal.", RecordType::AAAA);
    let got: BTreeSet<_> = reply
        .answers()
        .iter()
        .map(|r| r.data().as_aaaa().unwrap().0)
        .collect();
    assert_eq!(got, [v6(1).unwrap(), v6(2).unwrap()].into_iter().collect());
    assert!(reply.answers().iter().all(|r| r.ttl() == 45));
    // The service has no A record: NODATA.
    assert_negative(
        &ask(&zones(), "six.internal.", RecordType::A),
        ResponseCode::NoError,
    );
}

#[test]
fn srv_answers_with_the_targets_addresses_in_additional() {
    let reply = ask(&zones(), "srv.internal.", RecordType::SRV);
    let mut targets: Vec<(String, u16)> = reply
        .answers()
        .iter()
        .map(|r| {
            assert_eq!(r.ttl(), 20);
            let srv = r.data().as_srv().unwrap();
            assert_eq!((srv.priority(), srv.weight()), (1, 1));
            (srv.target().to_ascii(), srv.port())
        })
        .collect();
    targets.sort();
    assert_eq!(
        targets,
        vec![
            ("task-1.srv.internal.".into(), 8080),
            ("task-2.srv.internal.".into(), 8081)
        ]
    );
    let mut additional: Vec<(String, RecordType, u32)> = reply
        .additionals()
        .iter()
        .map(|r| (r.name().to_ascii(), r.record_type(), r.ttl()))
        .collect();
    additional.sort();
    assert_eq!(
        additional,
        vec![
            ("task-1.srv.internal.".into(), RecordType::A, 25),
            // No AAAA record in the service: the SRV record's TTL.
            ("task-1.srv.internal.".into(), RecordType::AAAA, 20),
            ("task-2.srv.internal.".into(), RecordType::A, 25),
        ]
    );
}

#[test]
fn srv_targets_have_their_own_address_records() {
    let zones = zones();
    let reply = ask(&zones, "TASK-1.srv.internal.", RecordType::A);
    assert_eq!(ipv4s(&reply), vec![v4(1).unwrap()]);
    assert_eq!(reply.answers()[0].ttl(), 25);
    let reply = ask(&zones, "task-1.srv.internal.", RecordType::AAAA);
    assert_eq!(
        reply.answers()[0].data().as_aaaa().unwrap().0,
        v6(1).unwrap()
    );
    // task-2 has no IPv6 address: the name exists, without AAAA.
    assert_negative(
        &ask(&zones, "task-2.srv.internal.", RecordType::AAAA),
        ResponseCode::NoError,
    );
    // The service's own A records are there too.
    assert_eq!(ipv4s(&ask(&zones, "srv.internal.", RecordType::A)).len(), 2);
}

#[test]
fn cname_answers_every_type_without_following_the_target() {
    let zones = zones();
    for kind in [
        RecordType::A,
        RecordType::AAAA,
        RecordType::CNAME,
        RecordType::SRV,
        RecordType::ANY,
    ] {
        let reply = ask(&zones, "alias.internal.", kind);
        assert_eq!(reply.response_code(), ResponseCode::NoError, "{kind}");
        assert_eq!(reply.answers().len(), 1, "{kind}");
        let record = &reply.answers()[0];
        assert_eq!(record.ttl(), 300);
        assert_eq!(record.data().as_cname().unwrap().0, name("db.example.com."));
    }
}

#[test]
fn cname_is_ignored_with_multivalue_routing() {
    let mut alias = instance("db", None, None, None);
    alias.cname = Some("db.example.com".into());
    let mut zones = ZoneSet::new();
    zones.add_zone(Zone {
        apex: "internal".into(),
        soa_ttl: 15,
        services: vec![service(
            "alias",
            Routing::Multivalue,
            &[(RecordKind::Cname, 300)],
            vec![alias],
        )],
    });
    assert_negative(
        &ask(&zones, "alias.internal.", RecordType::CNAME),
        ResponseCode::NoError,
    );
}

#[test]
fn soa_at_the_apex() {
    let zones = zones();
    let reply = ask(&zones, "internal.", RecordType::SOA);
    assert!(reply.authoritative());
    assert_eq!(reply.answers().len(), 1);
    let record = &reply.answers()[0];
    assert_eq!(record.ttl(), 15);
    let soa = record.data().as_soa().unwrap();
    assert_eq!(soa.mname(), &name("ns1.internal."));
    assert_eq!(soa.rname(), &name("hostmaster.internal."));
    assert_eq!(
        (soa.refresh(), soa.retry(), soa.expire(), soa.minimum()),
        (7200, 900, 1_209_600, 15)
    );
    let serial = soa.serial();
    let mut changed = zones.clone();
    changed.add_zone(Zone {
        apex: "internal".into(),
        soa_ttl: 15,
        services: vec![],
    });
    let again = ask(&changed, "internal.", RecordType::SOA);
    assert_ne!(again.answers()[0].data().as_soa().unwrap().serial(), serial);
}

#[test]
fn ns_at_the_apex() {
    let reply = ask(&zones(), "internal.", RecordType::NS);
    assert_eq!(reply.answers().len(), 1);
    assert_eq!(
        reply.answers()[0].data().as_ns().unwrap().0,
        name("ns1.internal.")
    );
    // Not at a service.
    assert_negative(
        &ask(&zones(), "api.internal.", RecordType::NS),
        ResponseCode::NoError,
    );
    // The name server's own address is not served.
    assert_negative(
        &ask(&zones(), "ns1.internal.", RecordType::A),
        ResponseCode::NXDomain,
    );
}

#[test]
fn nxdomain_for_missing_names_nodata_for_missing_types() {
    let zones = zones();
    assert_negative(
        &ask(&zones, "nope.internal.", RecordType::A),
        ResponseCode::NXDomain,
    );
    assert_negative(
        &ask(&zones, "x.api.internal.", RecordType::A),
        ResponseCode::NXDomain,
    );
    assert_negative(
        &ask(&zones, "api.internal.", RecordType::AAAA),
        ResponseCode::NoError,
    );
    assert_negative(
        &ask(&zones, "api.internal.", RecordType::TXT),
        ResponseCode::NoError,
    );
    assert_negative(
        &ask(&zones, "internal.", RecordType::A),
        ResponseCode::NoError,
    );
    // A service without healthy instances exists.
    assert_negative(
        &ask(&zones, "empty.internal.", RecordType::A),
        ResponseCode::NoError,
    );
}

#[test]
fn empty_non_terminals_exist() {
    let zones = zones();
    assert_eq!(
        ipv4s(&ask(&zones, "api.v1.internal.", RecordType::A)),
        vec![v4(9).unwrap()]
    );
    assert_negative(
        &ask(&zones, "v1.internal.", RecordType::A),
        ResponseCode::NoError,
    );
    assert_negative(
        &ask(&zones, "v2.internal.", RecordType::A),
        ResponseCode::NXDomain,
    );
}

#[test]
fn names_match_case_insensitively_and_the_question_is_echoed() {
    let reply = ask(&zones(), "ApI.INTERNAL.", RecordType::A);
    assert_eq!(ipv4s(&reply).len(), 3);
    assert_eq!(reply.queries()[0].name().to_ascii(), "ApI.INTERNAL.");
    assert!(reply.queries()[0].name().eq_case(&name("ApI.INTERNAL.")));
}

#[test]
fn any_answers_hinfo_where_records_exist() {
    let zones = zones();
    let reply = ask(&zones, "api.internal.", RecordType::ANY);
    assert_eq!(reply.answers().len(), 1);
    assert_eq!(
        reply.answers()[0].data().as_hinfo().unwrap().cpu(),
        b"RFC8482"
    );
    assert_eq!(ask(&zones, "internal.", RecordType::ANY).answers().len(), 1);
    assert_negative(
        &ask(&zones, "empty.internal.", RecordType::ANY),
        ResponseCode::NoError,
    );
    assert_negative(
        &ask(&zones, "nope.internal.", RecordType::ANY),
        ResponseCode::NXDomain,
    );
}

#[test]
fn names_under_no_zone_are_forwarded() {
    let zones = zones();
    let mut rng = fastrand::Rng::with_seed(1);
    for text in ["example.org.", "internal.example.", "xinternal.", "."] {
        assert_eq!(
            answer(&zones, &query(text, RecordType::A), Some(512), &mut rng),
            Outcome::Forward,
            "{text}"
        );
    }
    let mut empty = fastrand::Rng::with_seed(1);
    assert_eq!(
        answer(
            &ZoneSet::new(),
            &query("api.internal.", RecordType::A),
            None,
            &mut empty
        ),
        Outcome::Forward
    );
}

#[test]
fn other_classes_and_zone_transfers_are_refused() {
    let zones = zones();
    let mut chaos = query_message("api.internal.", RecordType::A);
    chaos.queries_mut()[0].set_query_class(DNSClass::CH);
    let (reply, _) = ask_with(&zones, &chaos.to_vec().unwrap(), Some(512), 1);
    assert_eq!(reply.response_code(), ResponseCode::Refused);
    let reply = ask(&zones, "internal.", RecordType::AXFR);
    assert_eq!(reply.response_code(), ResponseCode::Refused);
    assert!(reply.answers().is_empty());
}

#[test]
fn opcodes_other_than_query_are_not_implemented() {
    for code in [
        OpCode::Status,
        OpCode::Notify,
        OpCode::Update,
        OpCode::Unknown(9),
    ] {
        let mut message = query_message("api.internal.", RecordType::A);
        message.set_op_code(code);
        let (reply, _) = ask_with(&zones(), &message.to_vec().unwrap(), Some(512), 1);
        assert_eq!(reply.response_code(), ResponseCode::NotImp, "{code:?}");
        assert_eq!(reply.id(), 0x5151);
        assert_eq!(reply.op_code(), code);
        assert!(reply.answers().is_empty());
    }
}

#[test]
fn malformed_queries_get_formerr() {
    let zones = zones();
    let mut two = query_message("api.internal.", RecordType::A);
    two.add_query(Query::query(name("one.internal."), RecordType::A));
    let mut none = query_message("api.internal.", RecordType::A);
    none.take_queries();
    let whole = query("api.internal.", RecordType::A);
    let cut = whole[..whole.len() - 3].to_vec();
    for bytes in [two.to_vec().unwrap(), none.to_vec().unwrap(), cut] {
        let (reply, _) = ask_with(&zones, &bytes, Some(512), 1);
        assert_eq!(reply.response_code(), ResponseCode::FormErr);
        assert_eq!(reply.id(), 0x5151);
        assert_eq!(reply.message_type(), MessageType::Response);
    }
}

#[test]
fn responses_and_fragments_are_dropped() {
    let zones = zones();
    let mut rng = fastrand::Rng::with_seed(1);
    let mut response = query_message("api.internal.", RecordType::A);
    response.set_message_type(MessageType::Response);
    assert_eq!(
        answer(&zones, &response.to_vec().unwrap(), Some(512), &mut rng),
        Outcome::Drop
    );
    assert_eq!(
        answer(&zones, &[0x51, 0x51, 0x01], Some(512), &mut rng),
        Outcome::Drop
    );
    assert_eq!(answer(&zones, &[], None, &mut rng), Outcome::Drop);
}

#[test]
fn edns_payload_size_sets_the_udp_limit() {
    let zones = zones();
    // Without EDNS, eight long SRV targets do not fit in 512 bytes.
    let (reply, len) = ask_with(
        &zones,
        &query("long.internal.", RecordType::SRV),
        Some(MAX_UDP_PAYLOAD),
        1,
    );
    assert!(reply.truncated() && len <= 512);
    assert!(reply.extensions().is_none());
    // With a 4096-byte payload they do, additionals included, and the
    // reply carries an OPT record.
    let (reply, len) = ask_with(
        &zones,
        &with_edns("long.internal.", RecordType::SRV, 4096),
        Some(MAX_UDP_PAYLOAD),
        1,
    );
    assert!(!reply.truncated());
    assert_eq!(reply.answers().len(), 8);
    assert_eq!(reply.additionals().len(), 16);
    assert!(len > 512);
    assert_eq!(
        reply.extensions().as_ref().unwrap().max_payload(),
        MAX_UDP_PAYLOAD as u16
    );
    // The server's cap wins over the client's offer.
    let (reply, len) = ask_with(
        &zones,
        &with_edns("long.internal.", RecordType::SRV, 4096),
        Some(600),
        1,
    );
    assert!(len <= 600);
    assert!(reply.additionals().is_empty() || reply.truncated());
    // An offer below 512 counts as 512.
    let (reply, len) = ask_with(
        &zones,
        &with_edns("many.internal.", RecordType::A, 100),
        Some(MAX_UDP_PAYLOAD),
        1,
    );
    assert!(!reply.truncated() && len > 100);
}

#[test]
fn edns_versions_above_zero_get_badvers() {
    let mut message = query_message("api.internal.", RecordType::A);
    let mut edns = Edns::new();
    edns.set_version(1);
    message.set_edns(edns);
    let (reply, _) = ask_with(&zones(), &message.to_vec().unwrap(), Some(512), 1);
    // 16 is BADVERS in a reply's OPT (hickory decodes it as its twin BADSIG).
    assert_eq!(u16::from(reply.response_code()), 16);
    assert!(reply.answers().is_empty());
    assert_eq!(reply.extensions().as_ref().unwrap().version(), 0);
}

#[test]
fn oversized_udp_replies_are_truncated_and_complete_over_tcp() {
    let zones = zones();
    let bytes = query("long.internal.", RecordType::SRV);
    let (reply, len) = ask_with(&zones, &bytes, Some(MAX_UDP_PAYLOAD), 1);
    assert!(len <= 512);
    assert!(reply.truncated());
    assert!(reply.answers().is_empty() && reply.additionals().is_empty());
    assert_eq!(
        reply.queries(),
        query_message("long.internal.", RecordType::SRV).queries()
    );
    let (reply, len) = ask_with(&zones, &bytes, None, 1);
    assert!(len > 512);
    assert!(!reply.truncated());
    assert_eq!(reply.answers().len(), 8);
    assert_eq!(reply.additionals().len(), 16);
    let target = reply.answers()[0].data().as_srv().unwrap().target();
    assert_eq!(target.iter().next().unwrap().len(), 63);
}

#[test]
fn additionals_are_dropped_before_anything_is_truncated() {
    let zones = zones();
    let (full, len) = ask_with(&zones, &query("wide.internal.", RecordType::SRV), None, 1);
    assert_eq!(full.additionals().len(), 16);
    assert!(len > 512);
    let (reply, len) = ask_with(
        &zones,
        &query("wide.internal.", RecordType::SRV),
        Some(MAX_UDP_PAYLOAD),
        1,
    );
    assert!(len <= 512);
    assert!(!reply.truncated());
    assert_eq!(reply.answers().len(), 8);
    assert!(reply.additionals().is_empty());
}

fn qtypes() -> impl Strategy<Value = RecordType> {
    prop::sample::select(vec![
        RecordType::A,
        RecordType::AAAA,
        RecordType::SRV,
        RecordType::CNAME,
        RecordType::SOA,
        RecordType::NS,
        RecordType::ANY,
        RecordType::TXT,
        RecordType::MX,
        RecordType::PTR,
        RecordType::Unknown(4242),
    ])
}

/// A name in the zone: random labels before the apex or before a service.
fn names_in_zone() -> impl Strategy<Value = String> {
    let base = prop::sample::select(vec![
        "internal.",
        "api.internal.",
        "many.internal.",
        "srv.internal.",
        "long.internal.",
        "alias.internal.",
        "v1.internal.",
        "api.v1.internal.",
        "task-1.srv.internal.",
    ]);
    (
        prop::collection::vec("[a-zA-Z0-9_][a-zA-Z0-9_-]{0,19}", 0..3),
        base,
    )
        .prop_map(|(labels, base)| {
            let mut text = String::new();
            for label in labels {
                text.push_str(&label);
                text.push('.');
            }
            text.push_str(base);
            text
        })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..700),
        tcp in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let max_udp = if tcp { None } else { Some(MAX_UDP_PAYLOAD) };
        if let Outcome::Reply(reply) = answer(&zones(), &bytes, max_udp, &mut fastrand::Rng::with_seed(seed)) {
            let parsed = Message::from_vec(&reply).unwrap();
            prop_assert_eq!(Some(parsed.id()), message_id(&bytes));
            prop_assert_eq!(parsed.message_type(), MessageType::Response);
        }
    }

    #[test]
    fn mutated_queries_never_panic(
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        kind in qtypes(),
        seed in any::<u64>(),
    ) {
        let mut bytes = with_edns("srv.internal.", kind, 1232);
        for (at, value) in flips {
            let at = at.index(bytes.len());
            bytes[at] = value;
        }
        if let Outcome::Reply(reply) = answer(&zones(), &bytes, Some(MAX_UDP_PAYLOAD), &mut fastrand::Rng::with_seed(seed)) {
            prop_assert!(Message::from_vec(&reply).is_ok());
        }
    }

    #[test]
    fn queries_in_the_zone_always_get_a_reply_with_their_id(
        text in names_in_zone(),
        kind in qtypes(),
        id in any::<u16>(),
        payload in prop::option::of(0u16..5000),
        tcp in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let mut message = query_message(&text, kind);
        message.set_id(id);
        if let Some(payload) = payload {
            let mut edns = Edns::new();
            edns.set_max_payload(payload);
            message.set_edns(edns);
        }
        let bytes = message.to_vec().unwrap();
        let max_udp = if tcp { None } else { Some(MAX_UDP_PAYLOAD) };
        let Outcome::Reply(reply) = answer(&zones(), &bytes, max_udp, &mut fastrand::Rng::with_seed(seed)) else {
            return Err(TestCaseError::fail("no reply"));
        };
        let limit = match (tcp, payload) {
            (true, _) => usize::from(u16::MAX),
            (false, None) => 512,
            (false, Some(payload)) => usize::from(payload).clamp(512, MAX_UDP_PAYLOAD),
        };
        prop_assert!(reply.len() <= limit);
        let parsed = Message::from_vec(&reply).unwrap();
        prop_assert_eq!(parsed.id(), id);
        prop_assert_eq!(parsed.queries(), message.queries());
        prop_assert!(parsed.authoritative());
        prop_assert!(matches!(parsed.response_code(), ResponseCode::NoError | ResponseCode::NXDomain));
        if parsed.answers().is_empty() && !parsed.truncated() {
            prop_assert_eq!(parsed.name_servers().len(), 1);
        }
    }
}
