package io.coedge.bench.planner;

import io.coedge.planner.CostModel;
import io.coedge.planner.LayerCostTable;
import io.coedge.planner.Planner;
import io.coedge.zoo.ModelZoo;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;

/**
 * Solve time as thread CPU time, beside wall time: on a shared, overloaded machine the JMH averages of
 * {@link PlannerSolveBenchmark} measure the scheduler as much as the planner; CPU time does not.
 * Same clusters and deadline as the JMH benchmark; 10 warm-up solves, then the mean of 20.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar io.coedge.bench.planner.PlannerCpuTime}
 */
public final class PlannerCpuTime {
    private PlannerCpuTime() {
    }

    public static void main(String[] args) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        int[] sizes = {2, 4, 8, 16};
        System.out.println("| model | 2 devices | 4 devices | 8 devices | 16 devices |  (ms CPU per solve, wall in brackets)");
        for (String model : ModelZoo.names()) {
            LayerCostTable table = LayerCostTable.fromGraph(ModelZoo.build(model));
            StringBuilder sb = new StringBuilder("| " + model + " |");
            for (int n : sizes) {
                Planner p = new Planner(new CostModel(table, PlannerSolveBenchmark.cluster(n)));
                double deadline = 1.5 * p.latencyMinimal(Double.POSITIVE_INFINITY).latencySeconds();
                for (int r = 0; r < 10; r++) {
                    p.plan(Planner.Objective.ENERGY, deadline);
                }
                int runs = 20;
                long c0 = mx.getCurrentThreadCpuTime();
                long w0 = System.nanoTime();
                for (int r = 0; r < runs; r++) {
                    p.plan(Planner.Objective.ENERGY, deadline);
                }
                long c1 = mx.getCurrentThreadCpuTime();
                long w1 = System.nanoTime();
                sb.append(String.format(Locale.ROOT, " %.1f (%.0f) |", (c1 - c0) / 1e6 / runs, (w1 - w0) / 1e6 / runs));
            }
            System.out.println(sb);
        }
    }
}
