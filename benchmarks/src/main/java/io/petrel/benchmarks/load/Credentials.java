package io.petrel.benchmarks.load;

/**
 * The user name and password the driver sends in every CONNECT. Either may be null, and a password
 * needs a user name [MQTT-3.1.2-22]. {@link #toString} leaves the password out. The caller must not
 * change the password array after construction.
 */
record Credentials(String username, byte[] password) {

    /** No user name and no password. */
    static final Credentials NONE = new Credentials(null, null);

    Credentials {
        if (password != null && username == null) {
            throw new IllegalArgumentException("a password needs a user name [MQTT-3.1.2-22]");
        }
    }

    @Override
    public String toString() {
        if (username == null) {
            return "no user name";
        }
        return "user name '" + username + "'" + (password != null ? " and a password" : "");
    }
}
