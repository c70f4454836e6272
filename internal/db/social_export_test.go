package db

// FollowListQuery exposes FollowList's query to the tests of its plan.
var FollowListQuery = followListQuery
