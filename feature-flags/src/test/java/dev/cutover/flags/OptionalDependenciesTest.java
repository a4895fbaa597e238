package dev.cutover.flags;

import dev.cutover.testsupport.IsolatedClasspath;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.net.URLClassLoader;
import org.junit.jupiter.api.Test;

/**
 * The module works without its optional dependencies: the core classes load and run from a class
 * loader that has neither Micrometer nor the OpenFeature SDK.
 */
class OptionalDependenciesTest {

    @Test
    void coreRunsWithoutMicrometerAndOpenFeature() throws Exception {
        try (URLClassLoader loader = IsolatedClasspath.without("micrometer", "openfeature")) {
            assertThrows(ClassNotFoundException.class, () -> loader.loadClass("io.micrometer.core.instrument.MeterRegistry"));
            assertThrows(ClassNotFoundException.class, () -> loader.loadClass("dev.openfeature.sdk.Client"));

            Class<?> storeType = loader.loadClass(FlagStore.class.getName());
            Class<?> flagsType = loader.loadClass(MigrationFlags.class.getName());
            Class<?> stageType = loader.loadClass(Stage.class.getName());
            loader.loadClass(JdbcFlagStore.class.getName()).getMethods();

            Object store = storeType.getMethod("inMemory").invoke(null);
            Object builder = flagsType.getMethod("builder", storeType).invoke(null, store);
            builder.getClass().getMethod("declare", String[].class).invoke(builder, (Object) new String[] {"orders"});
            try (AutoCloseable flags = (AutoCloseable) builder.getClass().getMethod("build").invoke(builder)) {
                Object shiftReads = stageType.getField("SHIFT_READS").get(null);
                flagsType.getMethod("forceMoveTo", String.class, stageType, String.class, String.class)
                        .invoke(flags, "orders", shiftReads, "test", "isolated class loader");
                Object state = flagsType.getMethod("state", String.class).invoke(flags, "orders");
                Method stage = state.getClass().getMethod("stage");
                assertEquals(shiftReads, stage.invoke(state));
                assertTrue(state.getClass().getClassLoader() == loader);
            }
        }
    }
}
