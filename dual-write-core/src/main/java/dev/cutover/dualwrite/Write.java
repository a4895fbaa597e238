package dev.cutover.dualwrite;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a repository method as a write: it runs on the primary side, and the rows of the keys it
 * names (see {@link RoutingKey}) are then mirrored to the other side. Needed on methods JDBI does
 * not describe ({@code @SqlUpdate}, {@code @SqlBatch} and {@code @SqlCall} methods are writes
 * already); on a JDBI query method it overrides the JDBI annotation.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Write {
    /**
     * The mapped entity whose rows this method changes.
     *
     * @return the entity's name; empty (the default) for the repository's entity
     */
    String entity() default "";
}
