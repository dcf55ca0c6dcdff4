use std::collections::BTreeMap;

/// Summary statistics of a histogram metric.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Histogram {
    /// Number of values recorded.
    pub count: u64,
    /// Their sum.
    pub sum: f64,
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
}

impl Histogram {
    fn record(&mut self, v: f64) {
        if self.count == 0 {
            self.min = v;
            self.max = v;
        } else {
            self.min = self.min.min(v);
            self.max = self.max.max(v);
        }
        self.count += 1;
        self.sum += v;
    }

    /// Merges another histogram into this one.
    pub fn merge(&mut self, other: &Histogram) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = other.clone();
            return;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }
}

/// Metrics one operator subtask reported through the WIT `metrics` interface.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OperatorMetrics {
    /// Counters by name.
    pub counters: BTreeMap<String, u64>,
    /// Gauges by name (last value set).
    pub gauges: BTreeMap<String, f64>,
    /// Histograms by name.
    pub histograms: BTreeMap<String, Histogram>,
}

/// Most distinct metric names one subtask may create, so a guest cannot grow
/// host memory without bound through metric names.
pub(crate) const MAX_METRIC_NAMES: usize = 1024;

impl OperatorMetrics {
    fn names(&self) -> usize {
        self.counters.len() + self.gauges.len() + self.histograms.len()
    }

    pub(crate) fn counter_add(&mut self, name: String, delta: u64) {
        if let Some(c) = self.counters.get_mut(&name) {
            *c = c.saturating_add(delta);
        } else if self.names() < MAX_METRIC_NAMES {
            self.counters.insert(name, delta);
        }
    }

    pub(crate) fn gauge_set(&mut self, name: String, value: f64) {
        if let Some(g) = self.gauges.get_mut(&name) {
            *g = value;
        } else if self.names() < MAX_METRIC_NAMES {
            self.gauges.insert(name, value);
        }
    }

    pub(crate) fn histogram_record(&mut self, name: String, value: f64) {
        if let Some(h) = self.histograms.get_mut(&name) {
            h.record(value);
        } else if self.names() < MAX_METRIC_NAMES {
            let mut h = Histogram::default();
            h.record(value);
            self.histograms.insert(name, h);
        }
    }

    /// Merges another subtask's metrics into these (counters add, gauges
    /// take the other's value, histograms merge).
    pub fn merge(&mut self, other: &OperatorMetrics) {
        for (k, v) in &other.counters {
            *self.counters.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.gauges {
            self.gauges.insert(k.clone(), *v);
        }
        for (k, v) in &other.histograms {
            self.histograms.entry(k.clone()).or_default().merge(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_accumulate_and_merge() {
        let mut a = OperatorMetrics::default();
        a.counter_add("n".into(), 2);
        a.counter_add("n".into(), 3);
        a.histogram_record("h".into(), 5.0);
        a.histogram_record("h".into(), 1.0);
        let mut b = OperatorMetrics::default();
        b.counter_add("n".into(), 1);
        b.gauge_set("g".into(), 7.5);
        b.histogram_record("h".into(), 9.0);
        a.merge(&b);
        assert_eq!(a.counters["n"], 6);
        assert_eq!(a.gauges["g"], 7.5);
        let h = &a.histograms["h"];
        assert_eq!((h.count, h.sum, h.min, h.max), (3, 15.0, 1.0, 9.0));
    }

    #[test]
    fn metric_names_are_capped() {
        let mut m = OperatorMetrics::default();
        for i in 0..MAX_METRIC_NAMES + 10 {
            m.counter_add(format!("c{i}"), 1);
        }
        assert_eq!(m.counters.len(), MAX_METRIC_NAMES);
    }
}
