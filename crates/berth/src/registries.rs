//! ECS's service registries wired to Cloud Map: the port ECS declares, answered by the
//! region's Cloud Map in the same process.

use std::collections::BTreeMap;
use std::sync::Arc;

use berth_aws::RequestContext;
use berth_servicediscovery::CloudMap;
use berth_servicediscovery_model::Operation;

pub struct CloudMapRegistries {
    pub map: Arc<CloudMap>,
    pub region: String,
}

impl CloudMapRegistries {
    fn ctx(&self, account: &str) -> RequestContext {
        RequestContext::for_account(account, &self.region)
    }
}

impl berth_ecs::Registries for CloudMapRegistries {
    fn registered(
        &self,
        account: &str,
        registry: &str,
    ) -> Result<BTreeMap<String, BTreeMap<String, String>>, String> {
        let all = self
            .map
            .instance_attributes(&self.ctx(account), registry)
            .map_err(|e| e.to_string())?;
        Ok(all
            .into_iter()
            .filter(|(_, a)| a.contains_key("ECS_SERVICE_NAME"))
            .collect())
    }

    fn register(
        &self,
        account: &str,
        registry: &str,
        instance: &str,
        attributes: &BTreeMap<String, String>,
    ) -> Result<(), String> {
        let body = serde_json::json!({
            "ServiceId": registry,
            "InstanceId": instance,
            "Attributes": attributes,
        });
        self.map
            .handle(
                &self.ctx(account),
                Operation::RegisterInstance,
                body.to_string().as_bytes(),
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn deregister(&self, account: &str, registry: &str, instance: &str) -> Result<(), String> {
        let body = serde_json::json!({"ServiceId": registry, "InstanceId": instance});
        self.map
            .handle(
                &self.ctx(account),
                Operation::DeregisterInstance,
                body.to_string().as_bytes(),
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
