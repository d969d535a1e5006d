package io.coedge.bench.planner;

import io.coedge.graph.Graph;
import io.coedge.planner.CostModel;
import io.coedge.planner.DeviceProfile;
import io.coedge.planner.DeviceProfiles;
import io.coedge.planner.LayerCostTable;
import io.coedge.planner.PlanResult;
import io.coedge.planner.Planner;
import io.coedge.zoo.ModelZoo;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Time to plan one zoo model on a mixed cluster of 2 to 16 boards (energy objective, deadline 1.5x the
 * latency-minimal plan's latency). Target: at most 10 ms at 8 devices.
 *
 * <p>{@code costModel=table}: the planner on the model's layer table (even-split halos), as live re-planning runs
 * it. {@code costModel=graph}: the cost model built from the graph, whose plans' own halos the planner checks and
 * polishes its rows against (each check one partition geometry); each call builds the model afresh, as
 * {@code coedge plan} does, so no plan's halos are cached from an earlier call.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar PlannerSolveBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class PlannerSolveBenchmark {
    @Param({"alexnet", "vgg16", "resnet18", "googlenet"})
    public String model;

    @Param({"2", "4", "8", "16"})
    public int devices;

    @Param({"table", "graph"})
    public String costModel;

    private Planner planner;
    private Graph graph;
    private DeviceProfiles.Cluster cluster;
    private double deadline;

    /** A mixed cluster: Raspberry Pi 4B, Jetson Nano, Raspberry Pi 3B+, Jetson TX2, repeated. */
    public static DeviceProfiles.Cluster cluster(int n) {
        String[] kinds = {"rpi4b", "jetson-nano", "rpi3b+", "jetson-tx2"};
        List<DeviceProfile> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(DeviceProfiles.preset(kinds[i % kinds.length]).withName("d" + i));
        }
        return new DeviceProfiles.Cluster(list, null);
    }

    @Setup
    public void setup() {
        graph = ModelZoo.build(model);
        cluster = cluster(devices);
        planner = costModel.equals("graph") ? new Planner(new CostModel(graph, cluster))
                : new Planner(new CostModel(LayerCostTable.fromGraph(graph), cluster));
        deadline = 1.5 * planner.latencyMinimal(Double.POSITIVE_INFINITY).latencySeconds();
    }

    @Benchmark
    public PlanResult planEnergyUnderDeadline() {
        Planner p = costModel.equals("graph") ? new Planner(new CostModel(graph, cluster)) : planner;
        return p.plan(Planner.Objective.ENERGY, deadline);
    }
}
