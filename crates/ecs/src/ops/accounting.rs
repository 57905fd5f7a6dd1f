//! What a task holds on its container instance: charged when placed, released when STOPPED,
//! always in the same write as the task.

use berth_ecs_model::shapes::{ContainerInstance, Resource};

use crate::records::Reservation;

/// Takes `r` from the instance's remaining resources.
pub(crate) fn charge(instance: &mut ContainerInstance, r: &Reservation) {
    adjust(instance, r, -1);
}

/// Gives `r` back to the instance's remaining resources.
pub(crate) fn release(instance: &mut ContainerInstance, r: &Reservation) {
    adjust(instance, r, 1);
}

fn adjust(instance: &mut ContainerInstance, r: &Reservation, sign: i64) {
    let remaining = instance.remaining_resources.get_or_insert_with(Vec::new);
    for (name, amount) in [("CPU", r.cpu), ("MEMORY", r.memory)] {
        let res = resource(remaining, name, "INTEGER");
        let value = i64::from(res.integer_value) + sign * amount;
        res.integer_value = i32::try_from(value).unwrap_or(i32::MAX);
    }
    for (name, ports) in [("PORTS", &r.tcp_ports), ("PORTS_UDP", &r.udp_ports)] {
        if ports.is_empty() {
            continue;
        }
        let res = resource(remaining, name, "STRINGSET");
        let set = res.string_set_value.get_or_insert_with(Vec::new);
        for p in ports {
            let p = p.to_string();
            if sign < 0 {
                if !set.contains(&p) {
                    set.push(p);
                }
            } else {
                set.retain(|e| *e != p);
            }
        }
    }
}

fn resource<'a>(list: &'a mut Vec<Resource>, name: &str, ty: &str) -> &'a mut Resource {
    let pos = match list.iter().position(|r| r.name.as_deref() == Some(name)) {
        Some(p) => p,
        None => {
            list.push(Resource {
                name: Some(name.into()),
                r#type: Some(ty.into()),
                ..Default::default()
            });
            list.len() - 1
        }
    };
    &mut list[pos]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charge_then_release_restores_the_instance() {
        let mut i = ContainerInstance::default();
        let before = {
            let mut r = Vec::new();
            resource(&mut r, "CPU", "INTEGER").integer_value = 2048;
            resource(&mut r, "MEMORY", "INTEGER").integer_value = 4096;
            resource(&mut r, "PORTS", "STRINGSET").string_set_value = Some(vec!["22".into()]);
            r
        };
        i.remaining_resources = Some(before.clone());
        let r = Reservation {
            cpu: 256,
            memory: 512,
            tcp_ports: vec![80],
            udp_ports: vec![53],
        };
        charge(&mut i, &r);
        let rem = i.remaining_resources.clone().unwrap_or_default();
        assert_eq!(rem[0].integer_value, 1792);
        assert_eq!(rem[1].integer_value, 3584);
        assert_eq!(
            rem[2].string_set_value,
            Some(vec!["22".into(), "80".into()])
        );
        release(&mut i, &r);
        let rem = i.remaining_resources.clone().unwrap_or_default();
        assert_eq!(&rem[..3], &before[..]);
    }
}
