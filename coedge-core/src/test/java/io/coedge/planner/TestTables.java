package io.coedge.planner;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Layer tables with real networks' shapes, built without weights (fast). */
final class TestTables {
    private TestTables() {
    }

    /** VGG-16 at 224x224: 13 3x3 convs (2-row halos) and 5 non-overlapping pools, FC tail. */
    static LayerCostTable vgg16() {
        int[][] blocks = {{2, 64}, {2, 128}, {3, 256}, {3, 512}, {3, 512}};
        List<LayerCostTable.Layer> ls = new ArrayList<>();
        int c = 3, hw = 224, k = 0;
        long weights = 0;
        for (int[] b : blocks) {
            for (int i = 0; i < b[0]; i++) {
                long flops = 2L * c * b[1] * 9 * hw * hw;
                ls.add(new LayerCostTable.Layer("conv" + k++, LayerType.CONV3X3, flops, hw, 2, (long) c * hw * 4));
                weights += 4L * c * b[1] * 9;
                c = b[1];
            }
            ls.add(new LayerCostTable.Layer("pool" + k++, LayerType.POOL, (long) c * hw * hw, hw / 2, 0, (long) c * hw * 4));
            hw /= 2;
        }
        long fc = 2L * (25088L * 4096 + 4096L * 4096 + 4096L * 1000);
        return new LayerCostTable("vgg16", 224, ls, 3 * 224 * 4, 512.0 * 7 * 7 * 4 / 224, Map.of(LayerType.FC, fc),
                weights, fc * 2, 64.0 * 224 * 4 * 2 * 224 / 224, 3 * 224 * 224 * 4 + 512 * 49 * 4);
    }

    static DeviceProfiles.Cluster cluster(String... presets) {
        List<DeviceProfile> list = new ArrayList<>();
        for (int i = 0; i < presets.length; i++) {
            list.add(DeviceProfiles.preset(presets[i]).withName(presets[i] + "#" + i));
        }
        return new DeviceProfiles.Cluster(list, null);
    }
}
