//! Which subtask of a Kafka source reads which partition.
//!
//! As Flink's `KafkaTopicPartitionAssigner`: each topic starts at a subtask
//! picked by a hash of its name, and its partitions go round robin from
//! there, so partitions of one topic spread evenly and several small topics
//! do not all pile onto subtask 0. The hash is FNV-1a, fixed forever: a
//! restored job must give every partition to the subtask that checkpointed
//! it.

/// The subtask (of `parallelism`) that reads `partition` of `topic`.
pub(crate) fn owner(topic: &str, partition: i32, parallelism: u32) -> u32 {
    let hash = topic.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let start = (hash % u64::from(parallelism)) as u32;
    let partition = u32::try_from(partition).unwrap_or(0);
    ((u64::from(start) + u64::from(partition)) % u64::from(parallelism)) as u32
}

#[cfg(test)]
mod tests {
    use super::owner;

    #[test]
    fn partitions_of_a_topic_go_round_robin() {
        for parallelism in 1..=5 {
            let owners: Vec<u32> = (0..10).map(|p| owner("orders", p, parallelism)).collect();
            for (p, o) in owners.iter().enumerate() {
                assert_eq!(*o, (owners[0] + p as u32) % parallelism);
            }
            let mut counts = vec![0; parallelism as usize];
            for o in owners {
                counts[o as usize] += 1;
            }
            assert!(counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1);
        }
    }

    #[test]
    fn the_assignment_is_fixed() {
        // A restored job depends on these never changing (values from an
        // independent FNV-1a computation).
        let orders: Vec<u32> = (0..6).map(|p| owner("orders", p, 4)).collect();
        assert_eq!(orders, [0, 1, 2, 3, 0, 1]);
        let firsts: Vec<u32> = ["a", "b", "c", "d", "e", "f"]
            .iter()
            .map(|t| owner(t, 0, 3))
            .collect();
        assert_eq!(firsts, [1, 1, 0, 1, 0, 0]);
    }
}
