package io.coedge.planner;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Seeded random clusters and layer tables for the planner tests. */
final class RandomInstances {
    private RandomInstances() {
    }

    static LayerCostTable table(Random rnd, int h) {
        return table(rnd, h, false);
    }

    /**
     * With {@code branches}, a layer with a halo may read an input produced several layers earlier (as in
     * GoogLeNet's inception blocks), so halos can be in flight together and queue.
     */
    static LayerCostTable table(Random rnd, int h, boolean branches) {
        int layers = 2 + rnd.nextInt(5);
        List<LayerCostTable.Layer> ls = new ArrayList<>();
        LayerType[] types = {LayerType.CONV3X3, LayerType.CONV1X1, LayerType.CONV5X5, LayerType.POOL, LayerType.DEPTHWISE};
        for (int l = 0; l < layers; l++) {
            LayerType t = types[rnd.nextInt(types.length)];
            int halo = t == LayerType.CONV1X1 ? 0 : rnd.nextInt(3);
            long flops = (long) (1e6 * Math.pow(10, rnd.nextDouble() * 3));
            int since = branches && halo > 0 ? rnd.nextInt(l + 1) : 0;
            ls.add(new LayerCostTable.Layer("l" + l, t, flops, h, halo, 1000L * (1 + rnd.nextInt(64)), since));
        }
        Map<LayerType, Long> tail = new EnumMap<>(LayerType.class);
        tail.put(LayerType.FC, (long) (1e6 * rnd.nextDouble() * 20));
        return new LayerCostTable("random", h, ls, 600 + rnd.nextInt(20000), 200 + rnd.nextInt(20000), tail,
                1_000_000, 4_000_000, 50_000, 1_000_000);
    }

    static DeviceProfile device(Random rnd, String name) {
        Map<LayerType, Double> rates = new EnumMap<>(LayerType.class);
        double base = 1e9 * Math.pow(10, rnd.nextDouble() * 1.5);
        for (LayerType t : LayerType.values()) {
            rates.put(t, base * (0.3 + rnd.nextDouble()));
        }
        double idle = 1 + rnd.nextDouble() * 20;
        double compute = idle + 1 + rnd.nextDouble() * 40;
        double tx = idle + 0.2 + rnd.nextDouble() * 4;
        LinkProfile link = new LinkProfile(1e6 * (2 + rnd.nextDouble() * 120), 1e-4 + rnd.nextDouble() * 3e-3);
        return new DeviceProfile(name, "random", rates, 1_000_000_000L, idle, compute, tx, link, Map.of());
    }

    static CostModel model(Random rnd, int devices, int h) {
        List<DeviceProfile> ds = new ArrayList<>();
        for (int i = 0; i < devices; i++) {
            ds.add(device(rnd, "d" + i));
        }
        return new CostModel(table(rnd, h), new DeviceProfiles.Cluster(ds, null));
    }

    /** The same with branched layer tables ({@link #table(Random, int, boolean)}). */
    static CostModel modelWithBranches(Random rnd, int devices, int h) {
        LayerCostTable t = table(rnd, h, true);
        List<DeviceProfile> ds = new ArrayList<>();
        for (int i = 0; i < devices; i++) {
            ds.add(device(rnd, "d" + i));
        }
        return new CostModel(t, new DeviceProfiles.Cluster(ds, null));
    }

    /**
     * The same with shaped links: each device's link gets a burst of up to the scatter of the whole map, so
     * scatters and gathers fall on either side of the piecewise cost's kinks; and a per-request cost of up to 2 ms
     * (the initiator's: per worker beyond the first).
     */
    static CostModel modelWithBursts(Random rnd, int devices, int h) {
        LayerCostTable t = table(rnd, h);
        List<DeviceProfile> ds = new ArrayList<>();
        for (int i = 0; i < devices; i++) {
            DeviceProfile d = device(rnd, "d" + i);
            ds.add(d.withLink(d.link().withBurstBytes(rnd.nextDouble() * t.scatterBytesPerRow() * h)
                    .withRequestSeconds(rnd.nextDouble() * 2e-3)));
        }
        return new CostModel(t, new DeviceProfiles.Cluster(ds, null));
    }
}
