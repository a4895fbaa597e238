package dev.cutover.spring.boot.jpa;

/** A customer's tier, stored by name. */
public enum Tier { BRONZE, SILVER, GOLD }
