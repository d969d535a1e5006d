package io.coedge.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeviceProfilesTest {
    @Test
    void everyPresetLoadsWithSourcesForItsPowerAndRateFigures() {
        assertThat(DeviceProfiles.presets().keySet()).containsExactlyElementsOf(DeviceProfiles.PRESET_NAMES);
        for (DeviceProfile d : DeviceProfiles.presets().values()) {
            assertThat(d.sources()).as(d.name()).containsKeys("rates", "memory", "power.idle", "power.compute",
                    "power.transmit", "link");
            assertThat(d.rates()).as(d.name()).hasSize(LayerType.values().length);
            assertThat(d.rate(LayerType.CONV1X1)).isGreaterThan(d.rate(LayerType.DEPTHWISE));
        }
        DeviceProfile pi4 = DeviceProfiles.preset("rpi4b");
        assertThat(pi4.idleWatts()).isEqualTo(2.7);
        assertThat(pi4.computeWatts()).isEqualTo(6.4);
        assertThat(pi4.sources().get("power.idle")).contains("pidramble");
        assertThat(pi4.link()).isEqualTo(LinkProfile.DEFAULT);
        assertThat(DeviceProfiles.preset("desktop").link().bandwidthBytesPerSecond()).isEqualTo(125e6);
    }

    @Test
    void aCommaListOfPresetsNamesRepeatsApartAndStartsWithTheInitiator() {
        DeviceProfiles.Cluster c = DeviceProfiles.resolve("rpi4b, jetson-nano,rpi4b");
        assertThat(c.devices()).extracting(DeviceProfile::name).containsExactly("rpi4b", "jetson-nano", "rpi4b-2");
        assertThat(c.initiator()).isEqualTo("rpi4b");
    }

    @Test
    void unknownPresetsAndMissingFilesAreExplained() {
        assertThatThrownBy(() -> DeviceProfiles.resolve("rpi5")).hasMessageContaining("unknown device preset 'rpi5'")
                .hasMessageContaining("jetson-nano");
        assertThatThrownBy(() -> DeviceProfiles.resolve("/nonexistent/devices.yaml")).hasMessageContaining("does not exist");
    }

    @Test
    void aFileCanOverridePresetsAndGiveDevicesFromScratch() {
        String text = """
                # two boards
                link.bandwidth: 50 Mbit/s
                initiator: cam
                devices:
                  - name: cam
                    preset: rpi4b
                    power.idle: 3 W   # measured with a USB meter
                  - name: box
                    rate.conv3x3: 4.2 GFLOP/s
                    rate.other: 800 MFLOP/s
                    memory: 2 GB
                    power.idle: 1.5
                    power.compute: 5
                    power.transmit: 2
                    link.latency: 2 ms
                    link.burst: 64 KiB
                    link.halo-bandwidth: 80 Mbit/s
                    source.power: "own meter, 2026"
                """;
        DeviceProfiles.Cluster c = DeviceProfiles.parse("test.yaml", text, DeviceProfiles.presets());
        assertThat(c.initiator()).isEqualTo("cam");
        DeviceProfile cam = c.devices().get(0);
        assertThat(cam.idleWatts()).isEqualTo(3.0);
        assertThat(cam.rate(LayerType.CONV3X3)).isEqualTo(6e9);
        assertThat(cam.link().bandwidthBytesPerSecond()).isEqualTo(50e6 / 8);
        DeviceProfile box = c.devices().get(1);
        assertThat(box.rate(LayerType.CONV5X5)).as("falls back to conv3x3").isEqualTo(4.2e9);
        assertThat(box.rate(LayerType.FC)).as("falls back to other").isCloseTo(0.8e9, within(1.0));
        assertThat(box.memoryBytes()).isEqualTo(2_000_000_000L);
        assertThat(box.link().latencySeconds()).isEqualTo(0.002);
        assertThat(box.link().burstBytes()).isEqualTo(65536);
        assertThat(cam.link().burstBytes()).as("unshaped unless given").isZero();
        assertThat(box.link().haloBandwidthBytesPerSecond()).isEqualTo(80e6 / 8);
        assertThat(cam.link().haloBandwidthBytesPerSecond()).as("the link's bandwidth unless given").isEqualTo(50e6 / 8);
        assertThat(box.sources()).containsEntry("power", "own meter, 2026");
    }

    @Test
    void formatAndParseRoundTrip() {
        DeviceProfiles.Cluster given = DeviceProfiles.resolve("rpi3b+,jetson-tx2,desktop");
        List<DeviceProfile> ds = new java.util.ArrayList<>(given.devices());
        ds.set(1, ds.get(1).withLink(ds.get(1).link().withRequestSeconds(0.0075).withBurstBytes(262_144)
                .withHaloBandwidth(30e6 / 8)));
        DeviceProfiles.Cluster c = new DeviceProfiles.Cluster(ds, given.devices().get(0).name());
        DeviceProfiles.Cluster back = DeviceProfiles.parse("x", DeviceProfiles.format(c), Map.of());
        assertThat(back.devices().get(1).link().requestSeconds()).isCloseTo(0.0075, within(1e-12));
        assertThat(back.devices()).hasSize(3);
        for (int i = 0; i < 3; i++) {
            DeviceProfile a = c.devices().get(i), b = back.devices().get(i);
            assertThat(b.name()).isEqualTo(a.name());
            assertThat(b.idleWatts()).isEqualTo(a.idleWatts());
            assertThat(b.memoryBytes()).isEqualTo(a.memoryBytes());
            assertThat(b.link()).isEqualTo(a.link());
            assertThat(b.sources()).isEqualTo(a.sources());
            for (LayerType t : LayerType.values()) {
                assertThat(b.rate(t)).isCloseTo(a.rate(t), within(a.rate(t) * 1e-3));
            }
        }
    }

    @Test
    void badFilesNameTheLineOrKey() {
        assertThatThrownBy(() -> DeviceProfiles.parse("d.yaml", "devices:\n  - name: a\n    rate.conv9x9: 1\n", DeviceProfiles.presets()))
                .hasMessageContaining("unknown layer type 'conv9x9'");
        assertThatThrownBy(() -> DeviceProfiles.parse("d.yaml", "devices:\n  - name: a\n    preset: rpi4b\n    memory: lots\n", DeviceProfiles.presets()))
                .hasMessageContaining("memory").hasMessageContaining("lots");
        assertThatThrownBy(() -> DeviceProfiles.parse("d.yaml", "devices:\n  - name: a\n    preset: rpi4b\n    link.bandwidth: 5 furlongs\n", DeviceProfiles.presets()))
                .hasMessageContaining("unknown bandwidth unit");
        assertThatThrownBy(() -> DeviceProfiles.parse("d.yaml", "devices:\n\tname: a\n", DeviceProfiles.presets()))
                .hasMessageContaining("line 2");
        assertThatThrownBy(() -> DeviceProfiles.parse("d.yaml", "devices:\n  - name: a\n", DeviceProfiles.presets()))
                .hasMessageContaining("give a preset");
        assertThatThrownBy(() -> DeviceProfiles.parse("d.yaml", "devices:\n  - name: a\n    preset: rpi4b\n  - name: a\n    preset: rpi4b\n",
                DeviceProfiles.presets())).hasMessageContaining("used twice");
    }

    @Test
    void linkProfilerDerivesLatencyAndBandwidthFromProbeRoundTrips() {
        // 2 ms round trip plus 80 Mbit/s payload time
        LinkProbe probe = (device, bytes) -> 0.002 + bytes / 10e6;
        LinkProfile l = LinkProfiler.measure(probe, "pi", 3, 1 << 20);
        assertThat(l.latencySeconds()).isCloseTo(0.001 + 32 / 10e6, within(1e-6));
        assertThat(l.bandwidthBytesPerSecond()).isCloseTo(10e6, within(1.0));
        assertThatThrownBy(() -> LinkProfiler.measure((d, b) -> -1, "pi")).hasMessageContaining("negative");
    }

    @Test
    void theDefaultLinkIsAHundredMegabitsAndOneMillisecond() {
        assertThat(LinkProfile.DEFAULT.bandwidthBytesPerSecond()).isEqualTo(12.5e6);
        assertThat(LinkProfile.DEFAULT.latencySeconds()).isEqualTo(1e-3);
        assertThat(LinkProfile.DEFAULT.pairWith(new LinkProfile(1e9, 1e-4))).isEqualTo(LinkProfile.DEFAULT);
    }
}
