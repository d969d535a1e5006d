package io.coedge.partition;

import io.coedge.graph.Graph;
import io.coedge.zoo.ModelZoo;
import java.util.List;

/**
 * Prints the partition figures for VGG-16 and GoogLeNet with 4 devices and an
 * equal split: halo bytes per device per inference, redundant FLOPs of fused:2 and fused:4 against
 * every, and peak feature-map bytes per device against one device. All figures come from the
 * geometry, which the partitioned runs count identically (see the zoo tests).
 *
 * <p>Run: {@code ./mvnw -B -q -o test-compile -pl coedge-core} then
 * {@code java -cp coedge-core/target/classes:coedge-core/target/test-classes io.coedge.partition.PartitionFigures [models...]}.
 */
public final class PartitionFigures {
    private PartitionFigures() {
    }

    public static void main(String[] args) {
        List<String> models = args.length > 0 ? List.of(args) : List.of("vgg16", "googlenet");
        int devices = 4;
        for (String m : models) {
            Graph g = ModelZoo.build(m);
            int h = g.inputs().get(0).shape()[2];
            System.out.println(report(g, Plan.equal(Plan.deviceNames(devices), h, Sync.every())));
        }
    }

    static String report(Graph g, Plan plan) {
        StringBuilder sb = new StringBuilder();
        Geometry every = Geometry.of(g, plan.withSync(Sync.every()));
        Geometry f2 = Geometry.of(g, plan.withSync(Sync.fused(2)));
        Geometry f4 = Geometry.of(g, plan.withSync(Sync.fused(4)));
        sb.append(String.format("%s, %d devices, rows %s, %,d FLOPs on one device%n", g.name(), plan.deviceCount(),
                java.util.Arrays.toString(plan.rows()), g.totalFlops()));
        sb.append(String.format("%-6s %14s %14s %14s %14s %14s %14s %14s%n", "device", "halo sent B", "halo recv B",
                "scatter B", "gather B", "FLOPs every", "peak B every", "peak B fused:4"));
        for (int d = 0; d < plan.deviceCount(); d++) {
            long haloSent = 0, haloRecv = 0, scatter = 0, gather = 0;
            for (Transfer t : every.transfers()) {
                switch (t.kind()) {
                    case HALO -> {
                        haloSent += t.from() == d ? t.bytes() : 0;
                        haloRecv += t.to() == d ? t.bytes() : 0;
                    }
                    case SCATTER -> scatter += t.to() == d ? t.bytes() : 0;
                    case GATHER, PARTIAL_SUM -> gather += t.from() == d ? t.bytes() : 0;
                }
            }
            sb.append(String.format("%-6s %,14d %,14d %,14d %,14d %,14d %,14d %,14d%n", plan.devices().get(d), haloSent,
                    haloRecv, scatter, gather, every.predicted().flops(d), every.predicted().peakBytes(d),
                    f4.predicted().peakBytes(d)));
        }
        sb.append(String.format("one-device peak feature-map bytes: %,d; reserved per device (every): %s%n",
                every.oneDevicePeakBytes(), java.util.stream.IntStream.range(0, plan.deviceCount())
                        .mapToObj(d -> String.format("%,d", every.reservedBytes(d))).toList()));
        sb.append(String.format("weight bytes per device: %s (one device %,d)%n",
                java.util.stream.IntStream.range(0, plan.deviceCount())
                        .mapToObj(d -> String.format("%,d", every.weightBytes(d))).toList(), g.parameterCount() * 4));
        for (Geometry geo : List.of(every, f2, f4)) {
            long halo = 0;
            int messages = 0;
            for (Transfer t : geo.transfers()) {
                if (t.kind() == Transfer.Kind.HALO) {
                    halo += t.bytes();
                    messages++;
                }
            }
            sb.append(String.format("%-8s halo bytes total %,13d in %4d messages; redundant FLOPs %,15d (%.2f%% of %,d)%n",
                    geo.plan().sync(), halo, messages, geo.redundantFlops(),
                    100.0 * geo.redundantFlops() / g.totalFlops(), g.totalFlops()));
        }
        return sb.toString();
    }
}
