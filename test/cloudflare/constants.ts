// Shared by the test Worker and the tests (a Worker entry may export only handlers and classes).

/** A callback topic whose handler in the test Worker always throws (the object must survive it). */
export const TOPIC_THROWS = '/v1.0/test/throws';
