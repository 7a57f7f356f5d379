import test_dns_role as t
def test_dump(role_run):
    from dnslab import task_results
    out=role_run[0]
    for line in t._by_suffix(task_results(out,'mx2'), t.ASSERT_TASK)['msg']: print(line)
