//! Container instances as subjects of the cluster query language (berth-query).

use berth_query::Subject;

use crate::ops::list;
use crate::records::ContainerInstanceRec;

pub(crate) struct Instance<'a> {
    rec: &'a ContainerInstanceRec,
    connected: bool,
    running: i32,
}

impl<'a> Instance<'a> {
    /// `connected`: whether the instance's agent is connected now.
    /// `running`: how many of its tasks are RUNNING.
    pub(crate) fn new(rec: &'a ContainerInstanceRec, connected: bool, running: i32) -> Self {
        Instance {
            rec,
            connected,
            running,
        }
    }
}

impl Subject for Instance<'_> {
    fn attribute(&self, name: &str) -> Option<&str> {
        list(&self.rec.instance.attributes)
            .iter()
            .find(|a| a.name.as_deref() == Some(name))
            .map(|a| a.value.as_deref().unwrap_or(""))
    }
    fn agent_connected(&self) -> bool {
        self.connected
    }
    fn agent_version(&self) -> Option<&str> {
        self.rec
            .instance
            .version_info
            .as_ref()?
            .agent_version
            .as_deref()
    }
    fn ec2_instance_id(&self) -> Option<&str> {
        self.rec.instance.ec2_instance_id.as_deref()
    }
    fn registered_at(&self) -> Option<f64> {
        self.rec.instance.registered_at
    }
    fn running_tasks_count(&self) -> i64 {
        i64::from(self.running)
    }
    fn task_groups(&self) -> Vec<&str> {
        Vec::new()
    }
}
