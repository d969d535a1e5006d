package io.coedge.planner;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A row split chosen by a strategy, with its prediction.
 *
 * @param strategy   coedge, local, equal, proportional or latency (or milp for the exact reference)
 * @param rows       input-map rows per device, in cluster order
 * @param prediction the cost model's prediction for {@code rows}
 * @param feasible   meets the deadline and every memory budget
 * @param note       why a result is infeasible or how it was found; empty when nothing to say
 */
public record PlanResult(String strategy, int[] rows, Prediction prediction, boolean feasible, String note) {
    public PlanResult {
        rows = rows.clone();
        note = note == null ? "" : note;
    }

    public double latencySeconds() {
        return prediction.latencySeconds();
    }

    public double energyJoules() {
        return prediction.energyJoules();
    }

    @Override
    public int[] rows() {
        return rows.clone();
    }

    /** Rows by device name, in cluster order. */
    public Map<String, Integer> rowsByDevice(List<String> deviceNames) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < rows.length; i++) {
            m.put(deviceNames.get(i), rows[i]);
        }
        return m;
    }

    public PlanResult withStrategy(String name) {
        return new PlanResult(name, rows, prediction, feasible, note);
    }
}
