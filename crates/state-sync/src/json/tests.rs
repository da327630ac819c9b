//! Tests for the JSON merge-patch state.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::{CatchUp, HistoryConfig, Versioned};

#[track_caller]
fn check(target: Value, patch: Value, expected: Value) {
    let mut state = JsonState::new(target);
    state.apply(&patch);
    assert_eq!(state.value(), &expected);
}

/// The test cases of RFC 7386, Appendix A.
#[test]
fn rfc_7386_appendix_a() {
    check(json!({"a":"b"}), json!({"a":"c"}), json!({"a":"c"}));
    check(json!({"a":"b"}), json!({"b":"c"}), json!({"a":"b","b":"c"}));
    check(json!({"a":"b"}), json!({"a":null}), json!({}));
    check(json!({"a":"b","b":"c"}), json!({"a":null}), json!({"b":"c"}));
    check(json!({"a":["b"]}), json!({"a":"c"}), json!({"a":"c"}));
    check(json!({"a":"c"}), json!({"a":["b"]}), json!({"a":["b"]}));
    check(json!({"a":{"b":"c"}}), json!({"a":{"b":"d","c":null}}), json!({"a":{"b":"d"}}));
    check(json!({"a":[{"b":"c"}]}), json!({"a":[1]}), json!({"a":[1]}));
    check(json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"]));
    check(json!({"a":"b"}), json!(["c"]), json!(["c"]));
    check(json!({"a":"foo"}), json!(null), json!(null));
    check(json!({"a":"foo"}), json!("bar"), json!("bar"));
    check(json!({"e":null}), json!({"a":1}), json!({"e":null,"a":1}));
    check(json!([1, 2]), json!({"a":"b","c":null}), json!({"a":"b"}));
    check(json!({}), json!({"a":{"bb":{"ccc":null}}}), json!({"a":{"bb":{}}}));
}

#[test]
fn delta_size_is_the_serialized_length() {
    let patch = json!({"a": [1, 2], "b": null});
    assert_eq!(JsonState::delta_size(&patch), patch.to_string().len());
}

#[test]
fn serializes_as_the_bare_document() {
    let state = JsonState::new(json!({"a": 1}));
    assert_eq!(serde_json::to_value(&state).unwrap(), json!({"a": 1}));
}

/// Small JSON values over a few keys, with nulls, so patches collide, delete and nest.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<i8>().prop_map(|n| json!(n)),
        "[xy]{0,2}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[abc]", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn merge_patch_is_idempotent(target in value(), patch in value()) {
        let mut once = target;
        merge_patch(&mut once, &patch);
        let mut twice = once.clone();
        merge_patch(&mut twice, &patch);
        prop_assert_eq!(once, twice);
    }

    /// Catch-up from every earlier version reaches the current document, through deltas or
    /// a snapshot, with a history small enough that both paths occur.
    #[test]
    fn json_catch_up_reaches_current(
        patches in prop::collection::vec(value(), 0..24),
        max_deltas in 0usize..6,
        max_bytes in 0usize..80,
    ) {
        let config = HistoryConfig::default().max_deltas(max_deltas).max_bytes(max_bytes);
        let mut versioned = Versioned::new(JsonState::empty_object(), config);
        let mut model = vec![versioned.state().clone()];
        for patch in patches {
            let version = versioned.update(versioned.version(), patch).unwrap();
            model.push(versioned.state().clone());
            for client in 0..=version {
                let (mut state, mut at) = (model[client as usize].clone(), client);
                let catch_up = versioned.since(client);
                let is_deltas = matches!(catch_up, CatchUp::Deltas(_));
                prop_assert_eq!(is_deltas, versioned.oldest_catch_up().is_some_and(|o| o <= client) && client < version);
                catch_up.apply_to(&mut state, &mut at).unwrap();
                prop_assert_eq!((&state, at), (versioned.state(), version));
            }
        }
    }
}
