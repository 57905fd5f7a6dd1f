//! DescribeNetworkInterfaces: Berth attaches no EC2 network interfaces (tasks' awsvpc
//! namespaces are the agent's, not EC2's), so there are none to describe.

use berth_aws::RequestContext;
use berth_ec2_model::shapes::*;

use super::page;
use crate::error::{Ec2Error, Result};
use crate::Ec2;

impl Ec2 {
    pub(crate) fn describe_network_interfaces(
        &self,
        _ctx: &RequestContext,
        req: DescribeNetworkInterfacesRequest,
    ) -> Result<DescribeNetworkInterfacesResult> {
        if let Some(id) = req.network_interface_ids.iter().flatten().next() {
            return Err(Ec2Error::client(
                "InvalidNetworkInterfaceID.NotFound",
                format!("The networkInterface ID '{id}' does not exist"),
            ));
        }
        for f in req.filters.iter().flatten() {
            if f.name.is_none() {
                return Err(Ec2Error::missing("Filter.N.Name"));
            }
        }
        let none: Vec<(String, NetworkInterface)> = Vec::new();
        let (interfaces, next_token) = page(none, req.next_token.as_deref(), req.max_results)?;
        Ok(DescribeNetworkInterfacesResult {
            network_interfaces: Some(interfaces),
            next_token,
        })
    }
}
