package io.coedge.transport.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HmacSha256Test {
    /** Keys shorter than, equal to and longer than SHA-256's 64-byte block (those are hashed first). */
    @ParameterizedTest
    @ValueSource(ints = {16, 33, 64, 65, 200})
    void sameMacAsTheJdksForMessagesFedInPieces(int keyBytes) throws Exception {
        Random random = new Random(keyBytes);
        byte[] key = new byte[keyBytes];
        random.nextBytes(key);
        Mac jdk = Mac.getInstance("HmacSHA256");
        jdk.init(new SecretKeySpec(key, "HmacSHA256"));
        HmacSha256 ours = new HmacSha256(key);
        byte[] into = new byte[HmacSha256.LENGTH + 3];
        for (int length = 0; length < 300; length += 7) {
            byte[] message = new byte[length];
            random.nextBytes(message);
            for (int done = 0; done < length; ) {
                int n = Math.min(length - done, 1 + random.nextInt(50));
                ours.update(message, done, n);
                done += n;
            }
            ours.doFinal(into, 3);
            byte[] expected = jdk.doFinal(message);
            assertThat(Arrays.copyOfRange(into, 3, 3 + HmacSha256.LENGTH)).as("%d bytes", length).isEqualTo(expected);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {16, 100})
    void resetDropsWhatWasFedBefore(int keyBytes) throws Exception {
        byte[] key = new byte[keyBytes];
        new Random(7).nextBytes(key);
        HmacSha256 ours = new HmacSha256(key);
        byte[] noise = {1, 2, 3};
        byte[] message = "the message".getBytes(StandardCharsets.US_ASCII);
        ours.update(noise, 0, noise.length);
        ours.reset();
        ours.update(message, 0, message.length);
        byte[] mac = new byte[HmacSha256.LENGTH];
        ours.doFinal(mac, 0);
        Mac jdk = Mac.getInstance("HmacSHA256");
        jdk.init(new SecretKeySpec(key, "HmacSHA256"));
        assertThat(mac).isEqualTo(jdk.doFinal(message));
    }
}
