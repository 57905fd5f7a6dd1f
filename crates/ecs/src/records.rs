//! What the control plane stores: one record type per resource, mostly the wire shape itself
//! plus what the wire shape does not carry (tags of a task definition, an instance's cluster).

use berth_ecs_model::shapes::{
    CapacityProvider, Cluster, ContainerInstance, Setting, Tag, TaskDefinition,
};
use serde::{Deserialize, Serialize};

use crate::state::{Record, State, Table};

macro_rules! record {
    ($ty:ty, $kind:literal, $field:ident, |$r:ident| $key:expr) => {
        impl Record for $ty {
            const KIND: &'static str = $kind;
            fn key(&self) -> String {
                let $r = self;
                $key
            }
            fn table(state: &State) -> &Table<Self> {
                &state.$field
            }
            fn table_mut(state: &mut State) -> &mut Table<Self> {
                &mut state.$field
            }
        }
    };
}

/// A cluster; counts are computed when described, not stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClusterRec {
    pub cluster: Cluster,
}
record!(ClusterRec, "cluster", clusters, |r| r.name().to_owned());

impl ClusterRec {
    pub fn name(&self) -> &str {
        self.cluster.cluster_name.as_deref().unwrap_or_default()
    }
    pub fn is_active(&self) -> bool {
        self.cluster.status.as_deref() == Some("ACTIVE")
    }
}

/// A task definition family: its last revision number, never reused.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FamilyRec {
    pub family: String,
    pub last_revision: i32,
}
record!(FamilyRec, "family", families, |r| r.family.clone());

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TaskDefinitionRec {
    pub definition: TaskDefinition,
    #[serde(default)]
    pub tags: Vec<Tag>,
}
record!(
    TaskDefinitionRec,
    "task_definition",
    task_definitions,
    |r| task_definition_key(r.family(), r.definition.revision)
);

impl TaskDefinitionRec {
    pub fn family(&self) -> &str {
        self.definition.family.as_deref().unwrap_or_default()
    }
    pub fn status(&self) -> &str {
        self.definition
            .status
            .as_ref()
            .map(|s| s.as_str())
            .unwrap_or("ACTIVE")
    }
}

/// Store key of a task definition: family, then the revision zero-padded so keys sort.
pub fn task_definition_key(family: &str, revision: i32) -> String {
    format!("{family}:{revision:010}")
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ContainerInstanceRec {
    pub cluster: String,
    pub id: String,
    pub instance: ContainerInstance,
}
record!(
    ContainerInstanceRec,
    "container_instance",
    container_instances,
    |r| r.id.clone()
);

impl ContainerInstanceRec {
    pub fn arn(&self) -> &str {
        self.instance
            .container_instance_arn
            .as_deref()
            .unwrap_or_default()
    }
    pub fn status(&self) -> &str {
        self.instance.status.as_deref().unwrap_or_default()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CapacityProviderRec {
    pub provider: CapacityProvider,
}
record!(
    CapacityProviderRec,
    "capacity_provider",
    capacity_providers,
    |r| r.provider.name.clone().unwrap_or_default()
);

/// An account setting for one principal ARN, or the account default (`principal` empty).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccountSettingRec {
    pub principal: String,
    pub setting: Setting,
}
record!(
    AccountSettingRec,
    "account_setting",
    account_settings,
    |r| account_setting_key(
        &r.principal,
        r.setting
            .name
            .as_ref()
            .map(|n| n.as_str())
            .unwrap_or_default()
    )
);

pub fn account_setting_key(principal: &str, name: &str) -> String {
    format!("{principal}\u{1f}{name}")
}
