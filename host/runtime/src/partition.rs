//! Spreading a tail's output over the consumer subtasks of one edge.

use weir_spec::{KeyBy, Partitioning};
use weir_types::{Element, Record, assign_to_subtask, key_group_for};

use crate::channel::ElementSender;
use crate::error::RuntimeError;

/// One outgoing edge of a subtask: a sender per consumer subtask.
pub struct OutputEdge {
    /// Edge name for messages (`from → to`).
    pub name: String,
    /// Which output of the tail feeds it (`None` = main).
    pub side_output: Option<String>,
    partitioning: Partitioning,
    key_by: Option<KeyBy>,
    max_parallelism: u32,
    /// For forward edges: this producer's subtask index.
    producer_subtask: u32,
    senders: Vec<Box<dyn ElementSender>>,
    next: usize,
}

impl std::fmt::Debug for OutputEdge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputEdge")
            .field("name", &self.name)
            .field("partitioning", &self.partitioning)
            .finish()
    }
}

impl OutputEdge {
    /// An edge with one sender per consumer subtask.
    pub fn new(
        name: String,
        side_output: Option<String>,
        partitioning: Partitioning,
        key_by: Option<KeyBy>,
        max_parallelism: u32,
        producer_subtask: u32,
        senders: Vec<Box<dyn ElementSender>>,
    ) -> Self {
        OutputEdge {
            name,
            side_output,
            partitioning,
            key_by,
            max_parallelism,
            producer_subtask,
            next: producer_subtask as usize,
            senders,
        }
    }

    /// Sends a batch of records, routed by the edge's partitioning.
    pub fn send_records(&mut self, mut batch: Vec<Record>) -> Result<(), RuntimeError> {
        if batch.is_empty() {
            return Ok(());
        }
        let n = self.senders.len();
        match self.partitioning {
            Partitioning::Forward => {
                let i = (self.producer_subtask as usize) % n;
                self.send_to(i, Element::Records(batch))
            }
            Partitioning::Rebalance => {
                let i = self.next % n;
                self.next = self.next.wrapping_add(1);
                self.send_to(i, Element::Records(batch))
            }
            Partitioning::Broadcast => {
                for i in 1..n {
                    self.send_to(i, Element::Records(batch.clone()))?;
                }
                self.send_to(0, Element::Records(batch))
            }
            Partitioning::Keyed => {
                if let Some(key_by) = &self.key_by {
                    for r in &mut batch {
                        set_key(r, key_by, &self.name)?;
                    }
                }
                if n == 1 {
                    return self.send_to(0, Element::Records(batch));
                }
                let mut parts: Vec<Vec<Record>> = (0..n).map(|_| Vec::new()).collect();
                for r in batch {
                    let key = r.key.as_deref().unwrap_or_default();
                    let kg = key_group_for(key, self.max_parallelism);
                    let i = assign_to_subtask(kg, self.max_parallelism, n as u32) as usize;
                    parts[i].push(r);
                }
                for (i, part) in parts.into_iter().enumerate() {
                    if !part.is_empty() {
                        self.send_to(i, Element::Records(part))?;
                    }
                }
                Ok(())
            }
        }
    }

    /// Sends a control element (watermark, idle, end) to every consumer.
    pub fn broadcast(&mut self, element: Element) -> Result<(), RuntimeError> {
        for i in 0..self.senders.len() {
            self.send_to(i, element.clone())?;
        }
        Ok(())
    }

    fn send_to(&self, i: usize, element: Element) -> Result<(), RuntimeError> {
        self.senders[i]
            .send(element)
            .map_err(|_| RuntimeError::DownstreamGone {
                edge: self.name.clone(),
            })
    }
}

/// Gives a record the key its keyed edge asks for.
fn set_key(r: &mut Record, key_by: &KeyBy, edge: &str) -> Result<(), RuntimeError> {
    match key_by {
        KeyBy::Record => {
            if r.key.is_none() {
                return Err(RuntimeError::MissingKey {
                    edge: edge.to_owned(),
                    detail: "the record has no key (key_by: record)".into(),
                });
            }
        }
        KeyBy::Field(field) => {
            let v: serde_json::Value =
                serde_json::from_slice(&r.value).map_err(|e| RuntimeError::MissingKey {
                    edge: edge.to_owned(),
                    detail: format!("key_by field `{field}`: the value is not JSON: {e}"),
                })?;
            let key = match v.get(field) {
                Some(serde_json::Value::String(s)) => s.as_bytes().to_vec(),
                Some(serde_json::Value::Null) | None => {
                    return Err(RuntimeError::MissingKey {
                        edge: edge.to_owned(),
                        detail: format!(
                            "key_by field `{field}` is missing in {}",
                            preview(&r.value)
                        ),
                    });
                }
                Some(other) => other.to_string().into_bytes(),
            };
            r.key = Some(key);
        }
    }
    Ok(())
}

fn preview(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(&bytes[..bytes.len().min(120)]);
    format!("`{s}`")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::Inbox;

    fn edge(p: Partitioning, key_by: Option<KeyBy>, n: usize) -> (OutputEdge, Vec<Inbox>) {
        let inboxes: Vec<Inbox> = (0..n).map(|_| Inbox::new(1)).collect();
        let senders = inboxes
            .iter()
            .map(|i| Box::new(i.sender(0)) as Box<dyn ElementSender>)
            .collect();
        (
            OutputEdge::new("a → b".into(), None, p, key_by, 128, 0, senders),
            inboxes,
        )
    }

    fn drain(inbox: &Inbox) -> Vec<Record> {
        let mut out = Vec::new();
        while let Some(Element::Records(rs)) = inbox.try_recv(0) {
            out.extend(rs);
        }
        out
    }

    #[test]
    fn keyed_routes_each_key_to_its_owner() {
        let (mut e, inboxes) = edge(Partitioning::Keyed, Some(KeyBy::Record), 3);
        let batch: Vec<Record> = (0..300)
            .map(|i| Record::new(vec![]).with_key(format!("k{}", i % 17)))
            .collect();
        e.send_records(batch).unwrap();
        let mut total = 0;
        for (i, inbox) in inboxes.iter().enumerate() {
            for r in drain(inbox) {
                let kg = key_group_for(r.key.as_deref().unwrap(), 128);
                assert_eq!(assign_to_subtask(kg, 128, 3) as usize, i);
                total += 1;
            }
        }
        assert_eq!(total, 300);
    }

    #[test]
    fn key_from_json_field() {
        let (mut e, inboxes) = edge(Partitioning::Keyed, Some(KeyBy::Field("acct".into())), 1);
        e.send_records(vec![
            Record::new(br#"{"acct":"x","n":1}"#.to_vec()),
            Record::new(br#"{"acct":7}"#.to_vec()),
        ])
        .unwrap();
        let keys: Vec<_> = drain(&inboxes[0])
            .into_iter()
            .map(|r| r.key.unwrap())
            .collect();
        assert_eq!(keys, [b"x".to_vec(), b"7".to_vec()]);
        let err = e
            .send_records(vec![Record::new(br#"{"other":1}"#.to_vec())])
            .unwrap_err();
        assert!(err.to_string().contains("`acct` is missing"), "{err}");
    }

    #[test]
    fn rebalance_and_broadcast() {
        let (mut e, inboxes) = edge(Partitioning::Rebalance, None, 2);
        for _ in 0..4 {
            e.send_records(vec![Record::new(b"x".to_vec())]).unwrap();
        }
        assert_eq!(drain(&inboxes[0]).len(), 2);
        assert_eq!(drain(&inboxes[1]).len(), 2);
        let (mut e, inboxes) = edge(Partitioning::Broadcast, None, 3);
        e.send_records(vec![Record::new(b"x".to_vec())]).unwrap();
        assert!(inboxes.iter().all(|i| drain(i).len() == 1));
    }
}
