package dev.cutover.spring.boot.jpashop;

/** A buyer's tier, stored by name. */
public enum Tier { BRONZE, SILVER, GOLD }
