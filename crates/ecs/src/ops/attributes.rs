//! PutAttributes, DeleteAttributes, ListAttributes: custom attributes on container instances.

use berth_ecs_model::shapes::*;

use super::container_instances::{find, is_agent_attribute};
use super::list;
use crate::error::{EcsError, Result};
use crate::page::{page_size, paginate};
use crate::records::ContainerInstanceRec;
use crate::Ecs;

const MAX_PER_CALL: usize = 10;
const MAX_CUSTOM_PER_RESOURCE: usize = 10;

impl Ecs {
    pub(crate) fn put_attributes(
        &self,
        req: PutAttributesRequest,
    ) -> Result<PutAttributesResponse> {
        let attrs = req.attributes.clone().unwrap_or_default();
        check_batch(&attrs, true)?;
        self.edit_attributes(req.cluster.as_deref(), &attrs, |list, a| {
            match list.iter_mut().find(|e| e.name == a.name) {
                Some(e) => e.value = a.value.clone(),
                None => list.push(Attribute {
                    name: a.name.clone(),
                    value: a.value.clone(),
                    ..Default::default()
                }),
            }
            let custom = list
                .iter()
                .filter(|e| !is_agent_attribute(e.name.as_deref().unwrap_or_default()))
                .count();
            if custom > MAX_CUSTOM_PER_RESOURCE {
                return Err(EcsError::AttributeLimitExceeded(format!(
                    "A resource can have at most {MAX_CUSTOM_PER_RESOURCE} custom attributes."
                )));
            }
            Ok(())
        })?;
        Ok(PutAttributesResponse {
            attributes: Some(attrs),
        })
    }

    pub(crate) fn delete_attributes(
        &self,
        req: DeleteAttributesRequest,
    ) -> Result<DeleteAttributesResponse> {
        let attrs = req.attributes.clone().unwrap_or_default();
        check_batch(&attrs, false)?;
        self.edit_attributes(req.cluster.as_deref(), &attrs, |list, a| {
            list.retain(|e| e.name != a.name);
            Ok(())
        })?;
        Ok(DeleteAttributesResponse {
            attributes: Some(attrs),
        })
    }

    /// Applies `f` to the attribute list of each attribute's target instance, as one write.
    fn edit_attributes(
        &self,
        cluster: Option<&str>,
        attrs: &[Attribute],
        mut f: impl FnMut(&mut Vec<Attribute>, &Attribute) -> Result<()>,
    ) -> Result<()> {
        self.db.write(|tx| {
            let cluster = self.active_cluster(tx.state, cluster)?.name().to_owned();
            let mut changed: Vec<ContainerInstanceRec> = Vec::new();
            for a in attrs {
                let target = a.target_id.as_deref().unwrap_or_default();
                let found = find(self, tx.state, &cluster, target)
                    .filter(|r| r.status() != "INACTIVE")
                    .ok_or_else(|| target_not_found(target))?;
                let pos = match changed.iter().position(|r| r.id == found.id) {
                    Some(i) => i,
                    None => {
                        changed.push(found.clone());
                        changed.len() - 1
                    }
                };
                f(
                    changed[pos]
                        .instance
                        .attributes
                        .get_or_insert_with(Vec::new),
                    a,
                )?;
            }
            for mut rec in changed {
                rec.instance.version += 1;
                tx.put(rec)?;
            }
            Ok(())
        })
    }

    pub(crate) fn list_attributes(
        &self,
        req: ListAttributesRequest,
    ) -> Result<ListAttributesResponse> {
        let size = page_size(req.max_results, 100, 100)?;
        if req.attribute_value.is_some() && req.attribute_name.is_none() {
            return Err(EcsError::invalid(
                "attributeValue can only be given with attributeName.",
            ));
        }
        self.db.read(|state| {
            let cluster = self
                .active_cluster(state, req.cluster.as_deref())?
                .name()
                .to_owned();
            let mut out = Vec::new();
            for rec in state.container_instances.values() {
                if rec.cluster != cluster || rec.status() == "INACTIVE" {
                    continue;
                }
                for a in list(&rec.instance.attributes) {
                    let name_ok = req.attribute_name.is_none() || a.name == req.attribute_name;
                    let value_ok = req.attribute_value.is_none() || a.value == req.attribute_value;
                    if name_ok && value_ok {
                        let key = format!(
                            "{}\u{0}{}",
                            rec.arn(),
                            a.name.as_deref().unwrap_or_default()
                        );
                        out.push((
                            key,
                            Attribute {
                                name: a.name.clone(),
                                value: a.value.clone(),
                                target_type: Some(TargetType::ContainerInstance),
                                target_id: Some(rec.arn().to_owned()),
                            },
                        ));
                    }
                }
            }
            out.sort_by(|a, b| a.0.cmp(&b.0));
            let page = paginate(out, req.next_token.as_deref(), size)?;
            Ok(ListAttributesResponse {
                attributes: Some(page.items),
                next_token: page.next_token,
            })
        })
    }
}

fn target_not_found(target: &str) -> EcsError {
    EcsError::TargetNotFound(format!("Could not find the target '{target}'."))
}

/// The per-call rules: 1-10 attributes, a target each, names and values of ECS's alphabet.
fn check_batch(attrs: &[Attribute], with_values: bool) -> Result<()> {
    if attrs.is_empty() {
        return Err(EcsError::invalid("At least one attribute is required."));
    }
    if attrs.len() > MAX_PER_CALL {
        return Err(EcsError::AttributeLimitExceeded(format!(
            "At most {MAX_PER_CALL} attributes can be given in one call."
        )));
    }
    for a in attrs {
        let name = a.name.as_deref().unwrap_or_default();
        let name_ok = !name.is_empty()
            && name.len() <= 128
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_/\\.".contains(c));
        if !name_ok {
            return Err(EcsError::invalid(format!(
                "Invalid attribute name '{name}': 1-128 letters, numbers, hyphens, underscores, slashes, back slashes or periods."
            )));
        }
        if with_values {
            if let Some(v) = a.value.as_deref() {
                let ok = !v.is_empty()
                    && v.len() <= 128
                    && !v.starts_with(' ')
                    && !v.ends_with(' ')
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.@/\\: ".contains(c));
                if !ok {
                    return Err(EcsError::invalid(format!(
                        "Invalid attribute value '{v}' for '{name}': 1-128 letters, numbers, hyphens, underscores, periods, at signs, slashes, back slashes, colons or spaces."
                    )));
                }
            }
        }
        if a.target_type
            .as_ref()
            .is_some_and(|t| *t != TargetType::ContainerInstance)
        {
            return Err(EcsError::invalid("targetType must be container-instance."));
        }
        if a.target_id.as_deref().unwrap_or_default().is_empty() {
            return Err(EcsError::invalid(format!(
                "Attribute '{name}' needs a targetId."
            )));
        }
    }
    Ok(())
}
