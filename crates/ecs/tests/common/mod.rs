//! Helpers the ECS integration tests share: an `Ecs` on a store, and JSON calls through
//! `Ecs::handle` as the transport makes them.
#![allow(dead_code)]

use std::sync::Arc;

use berth_ecs::{Ecs, EcsError, FixedClock, Scope};
use berth_ecs_model::Operation;
use berth_store::{MemStore, Store};
use serde_json::Value;

pub fn ecs_on(store: Arc<dyn Store>) -> Ecs {
    Ecs::open(
        store,
        Arc::new(FixedClock::new(1_700_000_000_000)),
        Scope::new("us-east-1", "000000000000"),
    )
    .expect("open")
}

pub fn ecs() -> Ecs {
    ecs_on(Arc::new(MemStore::default()))
}

pub fn call(ecs: &Ecs, op: Operation, body: Value) -> Result<Value, EcsError> {
    let out = ecs.handle(op, body.to_string().as_bytes())?;
    Ok(serde_json::from_slice(&out).expect("response is JSON"))
}

pub fn ok(ecs: &Ecs, op: Operation, body: Value) -> Value {
    call(ecs, op, body).unwrap_or_else(|e| panic!("{op:?} failed: {} {e}", e.code()))
}
